/// The OpenAPI 3 document of the whole HTTP API, served at `GET /openapi.yaml`. The end-to-end
/// suite checks real responses against it and runs schemathesis on it, so it stays true.
enum OpenAPIDocument {
    static let yaml = #"""
        openapi: 3.0.3
        info:
          title: Cinergy agent API
          version: "1.0"
          description: |
            Isolated power and carbon of the QEMU/KVM VMs of one host.
            cpu_usage is in percent of ONE host CPU over the last sample interval (100 = one core busy).
            Power in watts, energy in joules, carbon in grams CO2eq (g/h for rates), times RFC 3339 UTC.
            When the agent is configured with a bearer token, every path but /health and / requires
            `Authorization: Bearer TOKEN` and answers 401 otherwise.
          license:
            name: BSD-3-Clause
        paths:
          /power:
            get:
              summary: Isolated power of one VM
              operationId: getPower
              parameters:
                - $ref: '#/components/parameters/vm'
              responses:
                '200':
                  description: The VM's power breakdown
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/Power'}
                '400': {$ref: '#/components/responses/BadRequest'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '404': {$ref: '#/components/responses/NotFound'}
                '405': {$ref: '#/components/responses/MethodNotAllowed'}
                '409': {$ref: '#/components/responses/Conflict'}
          /carbon:
            get:
              summary: Carbon emission rate of one VM
              operationId: getCarbon
              parameters:
                - $ref: '#/components/parameters/vm'
              responses:
                '200':
                  description: The VM's carbon emission rate
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/Carbon'}
                '400': {$ref: '#/components/responses/BadRequest'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '404': {$ref: '#/components/responses/NotFound'}
                '405': {$ref: '#/components/responses/MethodNotAllowed'}
                '409': {$ref: '#/components/responses/Conflict'}
          /vms:
            get:
              summary: Every tracked VM
              operationId: listVMs
              responses:
                '200':
                  description: The VMs, sorted by name
                  content:
                    application/json:
                      schema:
                        type: array
                        items: {$ref: '#/components/schemas/VM'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '405': {$ref: '#/components/responses/MethodNotAllowed'}
          /history:
            get:
              summary: Recent samples of every VM, or of one
              operationId: getHistory
              parameters:
                - name: vm
                  in: query
                  required: false
                  description: A VM name, UUID or pid:N; all VMs when absent
                  schema: {type: string, minLength: 1}
              responses:
                '200':
                  description: Samples, oldest first
                  content:
                    application/json:
                      schema:
                        type: array
                        items: {$ref: '#/components/schemas/History'}
                '400': {$ref: '#/components/responses/BadRequest'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '404': {$ref: '#/components/responses/NotFound'}
                '405': {$ref: '#/components/responses/MethodNotAllowed'}
                '409': {$ref: '#/components/responses/Conflict'}
          /energy:
            get:
              summary: One VM's energy, carbon, running time and mean power over a period, from the ledger
              operationId: getEnergy
              parameters:
                - name: vm
                  in: query
                  required: true
                  description: A VM name or UUID the ledger knows (VMs that stopped included)
                  schema: {type: string, minLength: 1}
                - $ref: '#/components/parameters/from'
                - $ref: '#/components/parameters/to'
                - name: step
                  in: query
                  required: false
                  description: |
                    Series step: 1 to 9999 minutes, hours or days (15m, 1h, 1d); default 1h. Whole
                    hours read hour buckets, anything else minute buckets (kept for
                    LEDGER_MINUTE_RETENTION_HOURS). A period and step giving more than 10,000 points is a 400.
                  schema: {type: string, pattern: '^[1-9][0-9]{0,3}[mhd]$'}
              responses:
                '200':
                  description: Totals over the period and the series by step
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/Energy'}
                '400': {$ref: '#/components/responses/BadPeriod'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '404': {$ref: '#/components/responses/NotFound'}
                '405': {$ref: '#/components/responses/MethodNotAllowed'}
                '409': {$ref: '#/components/responses/Conflict'}
                '503': {$ref: '#/components/responses/LedgerUnavailable'}
          /report:
            get:
              summary: Every VM's (or Nova project's) energy and carbon over a period, from the ledger
              operationId: getReport
              parameters:
                - $ref: '#/components/parameters/from'
                - $ref: '#/components/parameters/to'
                - name: by
                  in: query
                  required: false
                  description: One row per VM (default), or per Nova project (VMs without Nova metadata in rows of their own)
                  schema: {type: string, enum: [vm, project]}
                - name: format
                  in: query
                  required: false
                  description: json (default) or csv (the rows, with a header line)
                  schema: {type: string, enum: [json, csv]}
              responses:
                '200':
                  description: The report
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/Report'}
                    text/csv:
                      schema: {type: string}
                '400': {$ref: '#/components/responses/BadPeriod'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '405': {$ref: '#/components/responses/MethodNotAllowed'}
                '503': {$ref: '#/components/responses/LedgerUnavailable'}
          /health:
            get:
              summary: Liveness and what the agent knows
              operationId: getHealth
              responses:
                '200':
                  description: The agent is up
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/Health'}
                '405': {$ref: '#/components/responses/MethodNotAllowed'}
          /host:
            get:
              summary: The host's load, the model's prediction for it and, with a meter, its measured power
              operationId: getHost
              responses:
                '200':
                  description: The host beside the model
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/Host'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '405': {$ref: '#/components/responses/MethodNotAllowed'}
          /metrics:
            get:
              summary: Prometheus metrics
              operationId: getMetrics
              responses:
                '200':
                  description: Prometheus text exposition format 0.0.4
                  content:
                    text/plain:
                      schema: {type: string}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '405': {$ref: '#/components/responses/MethodNotAllowed'}
          /openapi.yaml:
            get:
              summary: This document
              operationId: getOpenAPI
              responses:
                '200':
                  description: OpenAPI 3 document
                  content:
                    application/yaml:
                      schema: {type: string}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '405': {$ref: '#/components/responses/MethodNotAllowed'}
          /:
            get:
              summary: Dashboard page
              operationId: getDashboard
              responses:
                '200':
                  description: A self-contained HTML page
                  content:
                    text/html:
                      schema: {type: string}
                '405': {$ref: '#/components/responses/MethodNotAllowed'}
        components:
          parameters:
            vm:
              name: vm
              in: query
              required: true
              description: A VM name, UUID (any case) or pid:N (the QEMU process ID)
              schema: {type: string, minLength: 1}
            from:
              name: from
              in: query
              required: false
              description: Start of the period, RFC 3339 (default 24 hours before `to`)
              schema: {type: string, format: date-time}
            to:
              name: to
              in: query
              required: false
              description: End of the period, RFC 3339 (default now); `from` after `to` is a 400
              schema: {type: string, format: date-time}
          responses:
            BadPeriod:
              description: A bad time, from after to, a bad step or by or format, or too many points
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/Error'}
            LedgerUnavailable:
              description: The ledger is off (STATE_DIRECTORY=none) or cannot be read now (see /health)
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/Error'}
            BadRequest:
              description: vm missing, empty, repeated or not decodable
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/Error'}
            Unauthorized:
              description: Missing or wrong bearer token
              headers:
                WWW-Authenticate:
                  schema: {type: string}
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/Error'}
            NotFound:
              description: No such VM, or no usage yet, or no such endpoint
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/Error'}
            MethodNotAllowed:
              description: Only GET is allowed
              headers:
                Allow:
                  schema: {type: string}
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/Error'}
            Conflict:
              description: Several VMs share the name; ask by UUID or pid:N
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/Error'}
          schemas:
            Error:
              type: object
              required: [error]
              properties:
                error: {type: string}
            Power:
              type: object
              required: [vm, cpu_usage, vm_cores, server_cores, cinergy_ratio, static_power_watts, dynamic_power_watts,
                total_power_watts, uuid, model_input, sampled_at, sample_interval_seconds, energy_joules, carbon_grams,
                host_cpu_usage, extrapolated]
              properties:
                vm: {type: string}
                cpu_usage: {type: number, minimum: 0, description: Percent of one host CPU}
                vm_cores: {type: integer, minimum: 1}
                server_cores: {type: integer, minimum: 1}
                cinergy_ratio: {type: number, minimum: 0, maximum: 1}
                static_power_watts: {type: number}
                dynamic_power_watts: {type: number}
                total_power_watts: {type: number}
                uuid: {type: string, nullable: true}
                model_input: {type: string, enum: [vm_percent, host_percent]}
                sampled_at: {type: string, format: date-time}
                sample_interval_seconds: {type: number, minimum: 0}
                energy_joules: {type: number, minimum: 0}
                carbon_grams: {type: number, minimum: 0}
                host_cpu_usage: {type: number, minimum: 0, maximum: 100, nullable: true, description: Percent of all host CPUs, the load the cinergy ratio was taken at}
                extrapolated: {type: boolean, description: The model's input lay beyond the range f was fitted on (MODEL_INPUT_MAX)}
            Carbon:
              type: object
              required: [vm, power_watts, pue, emission_factor_gco2_per_kwh, carbon_intensity_gco2_per_hour, uuid,
                sampled_at, energy_joules, carbon_grams, emission_factor_source]
              properties:
                vm: {type: string}
                power_watts: {type: number}
                pue: {type: number, minimum: 1}
                emission_factor_gco2_per_kwh: {type: number, minimum: 0}
                carbon_intensity_gco2_per_hour: {type: number}
                uuid: {type: string, nullable: true}
                sampled_at: {type: string, format: date-time}
                energy_joules: {type: number, minimum: 0}
                carbon_grams: {type: number, minimum: 0}
                emission_factor_source:
                  type: string
                  enum: [file, EMISSION_FACTOR]
                  description: Where emission_factor_gco2_per_kwh (the factor in force now) comes from
            Amount:
              type: object
              required: [energy_joules, energy_kwh, carbon_grams, running_seconds, mean_power_watts]
              properties:
                energy_joules: {type: number, minimum: 0}
                energy_kwh: {type: number, minimum: 0}
                carbon_grams: {type: number, minimum: 0}
                running_seconds: {type: number, minimum: 0}
                mean_power_watts: {type: number, nullable: true, description: energy over running time; null when it did not run}
            Energy:
              type: object
              required: [vm, uuid, from, to, step_seconds, resolution_seconds, energy_joules, energy_kwh, carbon_grams,
                running_seconds, mean_power_watts, series]
              properties:
                vm: {type: string}
                uuid: {type: string, nullable: true}
                from: {type: string, format: date-time}
                to: {type: string, format: date-time}
                step_seconds: {type: integer, minimum: 60}
                resolution_seconds: {type: integer, enum: [60, 3600]}
                energy_joules: {type: number, minimum: 0}
                energy_kwh: {type: number, minimum: 0}
                carbon_grams: {type: number, minimum: 0}
                running_seconds: {type: number, minimum: 0}
                mean_power_watts: {type: number, nullable: true}
                series:
                  type: array
                  items:
                    allOf:
                      - $ref: '#/components/schemas/Amount'
                      - type: object
                        required: [start, end]
                        properties:
                          start: {type: string, format: date-time}
                          end: {type: string, format: date-time}
            ReportAmount:
              type: object
              required: [energy_joules, energy_kwh, carbon_grams, hours_running, mean_power_watts]
              properties:
                energy_joules: {type: number, minimum: 0}
                energy_kwh: {type: number, minimum: 0}
                carbon_grams: {type: number, minimum: 0}
                hours_running: {type: number, minimum: 0}
                mean_power_watts: {type: number, nullable: true}
            Report:
              type: object
              required: [from, to, by, resolution_seconds, total, rows]
              properties:
                from: {type: string, format: date-time}
                to: {type: string, format: date-time}
                by: {type: string, enum: [vm, project]}
                resolution_seconds: {type: integer, enum: [60, 3600]}
                total: {$ref: '#/components/schemas/ReportAmount'}
                rows:
                  type: array
                  items:
                    allOf:
                      - $ref: '#/components/schemas/ReportAmount'
                      - type: object
                        required: [vm, uuid, project_id, project_name, vm_count]
                        properties:
                          vm: {type: string, nullable: true, description: null for a project's row}
                          uuid: {type: string, nullable: true}
                          project_id: {type: string, nullable: true}
                          project_name: {type: string, nullable: true}
                          vm_count: {type: integer, minimum: 1}
            Ledger:
              type: object
              required: [state, path, detail, last_flush_at, pending_vm_count, moved_aside_path]
              properties:
                state: {type: string, enum: [ok, off, opening, unavailable, locked, corrupt, disk_full, read_only, failing]}
                path: {type: string, nullable: true, description: The database file}
                detail: {type: string, nullable: true, description: Why the ledger cannot write, when it cannot}
                last_flush_at: {type: string, format: date-time, nullable: true}
                pending_vm_count: {type: integer, minimum: 0}
                moved_aside_path: {type: string, nullable: true, description: Where a damaged database file was moved}
            Nova:
              type: object
              nullable: true
              description: OpenStack Nova's names for the VM, from the domain's metadata
              required: [name, project_id, project_name, user_id, user_name, flavor]
              properties:
                name: {type: string, nullable: true}
                project_id: {type: string, nullable: true}
                project_name: {type: string, nullable: true}
                user_id: {type: string, nullable: true}
                user_name: {type: string, nullable: true}
                flavor: {type: string, nullable: true}
            VM:
              type: object
              required: [name, uuid, pid, vcpus, source, state, cpu_usage, total_power_watts, sampled_at, energy_joules,
                carbon_grams, nova]
              properties:
                name: {type: string}
                uuid: {type: string, nullable: true}
                pid: {type: integer, nullable: true}
                vcpus: {type: integer, minimum: 1}
                source: {type: string, enum: [procfs, libvirt]}
                state: {type: string, enum: [running, paused]}
                cpu_usage: {type: number, nullable: true}
                total_power_watts: {type: number, nullable: true}
                sampled_at: {type: string, format: date-time, nullable: true}
                energy_joules: {type: number, minimum: 0}
                carbon_grams: {type: number, minimum: 0}
                nova: {$ref: '#/components/schemas/Nova'}
            History:
              type: object
              required: [name, uuid, samples]
              properties:
                name: {type: string}
                uuid: {type: string, nullable: true}
                samples:
                  type: array
                  items:
                    type: object
                    required: [sampled_at, state, vcpus, cpu_usage, total_power_watts]
                    properties:
                      sampled_at: {type: string, format: date-time}
                      state: {type: string, enum: [running, paused], description: the VM's state when the sample was counted}
                      vcpus: {type: integer, minimum: 1, description: its vCPUs when the sample was counted}
                      cpu_usage: {type: number}
                      total_power_watts: {type: number}
            Source:
              type: object
              required: [available, vm_count, last_update_at, detail, last_error]
              properties:
                available: {type: boolean}
                vm_count: {type: integer, minimum: 0}
                last_update_at: {type: string, format: date-time, nullable: true}
                detail: {type: string, nullable: true}
                last_error: {type: string, nullable: true}
            Host:
              type: object
              required: [host_cpu_usage, server_cores, model_power_watts, vms_isolated_power_watts, vm_count, sampled_at, meter]
              properties:
                host_cpu_usage: {type: number, minimum: 0, maximum: 100, nullable: true, description: Percent of all host CPUs}
                server_cores: {type: integer, minimum: 1}
                model_power_watts: {type: number, nullable: true, description: f(host load) for the whole host}
                vms_isolated_power_watts: {type: number, description: Sum of the VMs' isolated powers (not the host's power)}
                vm_count: {type: integer, minimum: 0}
                sampled_at: {type: string, format: date-time, nullable: true}
                meter:
                  type: object
                  nullable: true
                  required: [kind, measures, available, error, power_watts, host_cpu_usage, model_power_watts,
                    model_error_percent, mean_absolute_percent_error, window_seconds, readings_in_window, energy_joules,
                    read_at, drifting, drift_threshold_percent]
                  properties:
                    kind: {type: string, enum: [rapl, hwmon, ipmi], nullable: true}
                    measures: {type: string, nullable: true}
                    available: {type: boolean}
                    error: {type: string, nullable: true}
                    power_watts: {type: number, nullable: true}
                    host_cpu_usage: {type: number, nullable: true}
                    model_power_watts: {type: number, nullable: true}
                    model_error_percent: {type: number, nullable: true}
                    mean_absolute_percent_error: {type: number, nullable: true, minimum: 0}
                    window_seconds: {type: number}
                    readings_in_window: {type: integer, minimum: 0}
                    energy_joules: {type: number, minimum: 0}
                    read_at: {type: string, format: date-time, nullable: true}
                    drifting: {type: boolean}
                    drift_threshold_percent: {type: number}
            Health:
              type: object
              required: [status, uptime_seconds, vm_count, sample_interval_seconds, last_sample_at,
                last_sample_duration_seconds, sources, ledger]
              properties:
                status: {type: string, enum: [ok]}
                uptime_seconds: {type: number}
                vm_count: {type: integer, minimum: 0}
                sample_interval_seconds: {type: number}
                last_sample_at: {type: string, format: date-time, nullable: true}
                last_sample_duration_seconds: {type: number, nullable: true}
                sources:
                  type: object
                  properties:
                    procfs: {$ref: '#/components/schemas/Source'}
                    libvirt: {$ref: '#/components/schemas/Source'}
                model:
                  type: object
                  description: Present when HOST_METER names a meter
                  required: [drifting, mean_absolute_percent_error, drift_threshold_percent, window_seconds, meter, meter_error, advice]
                  properties:
                    drifting: {type: boolean}
                    mean_absolute_percent_error: {type: number, nullable: true}
                    drift_threshold_percent: {type: number}
                    window_seconds: {type: number}
                    meter: {type: string, nullable: true}
                    meter_error: {type: string, nullable: true}
                    advice: {type: string, nullable: true}
                ledger: {$ref: '#/components/schemas/Ledger'}
        """#
}
