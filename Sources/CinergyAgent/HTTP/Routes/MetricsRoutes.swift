import CinergyCore
import CinergyFleet
import CinergyLedger
import CinergyMeter
import CinergySystem
import Hummingbird

/// `GET /metrics`: the registry and the agent in the Prometheus text format.
///
/// Written straight from a registry snapshot at scrape time rather than through swift-metrics: the
/// per-VM values (power, energy and carbon counters) already live in the registry, so there is no
/// second copy to keep in step, and a VM that leaves simply stops being written (no stale series
/// to unregister).
struct MetricsRoutes<Context: RequestContext>: Sendable {
    let registry: VMRegistry
    let configuration: AgentConfiguration
    let requests: RequestCounter
    /// The host meter against the model.
    let hostMonitor: HostPowerMonitor
    /// The emission factor file: its factor in force now is the factor gauge's value (issue 13).
    var emissionFactors: (any EmissionFactorSchedule)? = nil
    /// The ledger, whose health the `cinergy_ledger_*` gauges give (issue 13); nil or off: none.
    var ledger: Ledger? = nil
    /// The guest channels, whose counters the `cinergy_guest_channel_*` series give (issue 21); nil: off.
    var guestChannels: GuestChannels? = nil
    /// The replication to the fleet's database, whose state the `cinergy_fleet_*` series give (issue 20); nil: off.
    var fleet: FleetReplicator? = nil

    var endpoints: [Endpoint<Context>] {
        [.get("/metrics") { _, _ in metrics() }]
    }

    func metrics() -> Response {
        let records = registry.records()
        let status = registry.status()
        let model = configuration.powerModel
        var out = PrometheusText()

        // Labels: the VM's name and UUID only (no PIDs or command lines); Nova's names when enabled.
        let labels: [[(String, String)]] = records.map { record in
            var labels = [("vm", record.name), ("uuid", record.identity.uuid ?? "")]
            if configuration.metricsNovaLabels {
                let nova = record.identity.nova
                labels += [
                    ("nova_name", nova?.displayName ?? ""), ("nova_project_id", nova?.projectID ?? ""),
                    ("nova_project_name", nova?.projectName ?? ""), ("nova_flavor", nova?.flavorName ?? ""),
                ]
            }
            return labels
        }
        func perVM(_ name: String, type: String, help: String, _ value: (VMRecord) -> Double?) {
            out.family(name, type: type, help: help)
            for (index, record) in records.enumerated() {
                guard let value = value(record) else { continue }
                out.sample(name, labels: labels[index], value)
            }
        }
        let runningVCPUs = records.reduce(0) { $0 + $1.identity.vcpus }
        let estimates = Dictionary(
            records.compactMap { record in
                record.effectiveUsage.map {
                    (record.identity.key, model.estimate($0, vmCores: record.identity.vcpus, runningVCPUs: runningVCPUs))
                }
            },
            uniquingKeysWith: { first, _ in first }
        )
        perVM("cinergy_vm_power_watts", type: "gauge", help: "Isolated power of the VM (static + dynamic): the model's, as if alone on the server, in watts (not the meter's attributed share).") {
            estimates[$0.identity.key]?.totalWatts
        }
        perVM("cinergy_vm_static_power_watts", type: "gauge", help: "Isolated static power of the VM: its share of the model's idle power f(0), in watts.") {
            estimates[$0.identity.key]?.staticWatts
        }
        perVM("cinergy_vm_dynamic_power_watts", type: "gauge", help: "Isolated dynamic power of the VM: the model's, from its CPU time at the cinergy ratio, in watts.") {
            estimates[$0.identity.key]?.dynamicWatts
        }
        perVM("cinergy_vm_cpu_usage_ratio", type: "gauge", help: "CPU used by the VM over the last sample interval (1 = one host core busy).") {
            $0.effectiveUsage.map { $0.cpuUsagePercent / 100 }
        }
        perVM("cinergy_vm_vcpus", type: "gauge", help: "vCPUs of the VM (libvirt's live count, or QEMU's -smp).") { Double($0.identity.vcpus) }
        perVM("cinergy_vm_energy_joules_total", type: "counter", help: "Energy of the VM's isolated power since it was first seen (kept across restarts by the ledger), in joules.") {
            $0.energyJoules
        }
        perVM("cinergy_vm_carbon_grams_total", type: "counter", help: "Carbon emitted by the VM since it was first seen (kept across restarts by the ledger), in grams CO2eq.") {
            $0.carbonGrams
        }
        // Issue 19: the SCI's M per VM, and SCS-0414's gauges (SustainabilityMetrics says what each covers).
        if configuration.embodiedModel != nil {
            perVM("cinergy_vm_embodied_carbon_grams_total", type: "counter", help: "The server's embodied emissions shared to the VM like idle power since the agent started, in grams CO2eq.") {
                $0.embodiedGrams
            }
        }
        SustainabilityMetrics(
            totals: registry.totals(), pue: configuration.pue, embodiedAccounted: configuration.embodiedModel != nil,
            datacenter: configuration.sustainabilityDatacenter ?? "", component: configuration.sustainabilityComponent ?? ""
        )
        .write(to: &out)
        out.family("cinergy_vm_info", type: "gauge", help: "Where each VM comes from and its state (always 1).")
        for (index, record) in records.enumerated() {
            out.sample(
                "cinergy_vm_info",
                labels: labels[index] + [("source", record.identity.source.rawValue), ("state", record.identity.state.rawValue)],
                1
            )
        }

        out.family("cinergy_vms", type: "gauge", help: "VMs tracked, by the source they come from.")
        for source in VMSource.allCases {
            out.sample("cinergy_vms", ["source": source.rawValue], Double(status.vmCountBySource[source] ?? 0))
        }
        out.family("cinergy_server_cores", type: "gauge", help: "CPUs of the host that idle power is shared across.")
        out.sample("cinergy_server_cores", Double(configuration.serverCores))
        out.family("cinergy_cinergy_ratio", type: "gauge", help: "Share of dynamic power attributed to a VM (in force at the last sample's host load).")
        out.sample("cinergy_cinergy_ratio", model.ratio.value(hostLoadPercent: status.lastRound?.hostCPUUsagePercent))
        out.family("cinergy_vms_extrapolated", type: "gauge", help: "VMs whose estimate lies beyond the range the power model was fitted on.")
        out.sample("cinergy_vms_extrapolated", Double(estimates.values.filter(\.extrapolated).count))
        out.family("cinergy_pue", type: "gauge", help: "Datacenter power usage effectiveness.")
        out.sample("cinergy_pue", configuration.pue)
        out.family("cinergy_emission_factor_grams_per_kilowatt_hour", type: "gauge", help: "Grid carbon intensity, gCO2eq per kWh.")
        out.sample(
            "cinergy_emission_factor_grams_per_kilowatt_hour",
            emissionFactors?.gramsPerKilowattHour(atUnixSeconds: SystemClock.unixSeconds()) ?? configuration.emissionFactorGramsPerKilowattHour
        )
        if let round = status.lastRound {
            out.family("cinergy_sample_duration_seconds", type: "gauge", help: "How long the last discovery and sampling round took.")
            out.sample("cinergy_sample_duration_seconds", round.durationSeconds)
            out.family("cinergy_last_sample_timestamp_seconds", type: "gauge", help: "When the last sampling round ended (Unix time).")
            out.sample("cinergy_last_sample_timestamp_seconds", round.finishedAtUnixSeconds)
        }
        if let hostLoad = status.lastRound?.hostCPUUsagePercent {
            out.family("cinergy_host_cpu_usage_ratio", type: "gauge", help: "The host's CPU load over the last sample interval (1 = every CPU busy).")
            out.sample("cinergy_host_cpu_usage_ratio", hostLoad / 100)
            out.family("cinergy_host_model_power_watts", type: "gauge", help: "The model's prediction for the whole host at its CPU load, f(host load), in watts.")
            out.sample("cinergy_host_model_power_watts", model.hostWatts(hostLoadPercent: hostLoad))
        }
        if configuration.hostMeterConfigured {
            let host = hostMonitor.snapshot()
            if let meter = host.meter, let latest = host.latest {
                let labels = [("meter", meter.kind.rawValue)]
                out.family("cinergy_host_power_watts", type: "gauge", help: "The host's power as its meter measures it, in watts.")
                out.sample("cinergy_host_power_watts", labels: labels, latest.measuredWatts)
                out.family("cinergy_host_energy_joules_total", type: "counter", help: "Energy the host's meter measured since the agent started, in joules.")
                out.sample("cinergy_host_energy_joules_total", labels: labels, host.energyJoules)
            }
            if let error = host.meanAbsolutePercentError {
                out.family("cinergy_host_model_error_percent", type: "gauge", help: "Mean absolute error of the model against the meter over the drift window, in percent.")
                out.sample("cinergy_host_model_error_percent", error)
            }
            out.family("cinergy_host_model_drifting", type: "gauge", help: "1 while the model's error against the host's meter is above MODEL_DRIFT_PERCENT.")
            out.sample("cinergy_host_model_drifting", host.drifting ? 1 : 0)
            // The metered share (issue 18): what the meter says each VM is responsible for.
            if let share = host.share {
                let shareByKey = Dictionary(share.vms.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
                perVM("cinergy_vm_attributed_power_watts", type: "gauge", help: "Attributed power of the VM: its share of the power the host's meter measures (static share of the idle power + share of the power above idle by CPU time), in watts; not the isolated cinergy_vm_power_watts.") {
                    shareByKey[$0.identity.key]?.totalWatts
                }
                out.family("cinergy_host_vms_attributed_power_watts", type: "gauge", help: "The VMs' attributed power together, in watts (with cinergy_host_own_power_watts, the measured power).")
                out.sample("cinergy_host_vms_attributed_power_watts", share.vmsWatts)
                out.family("cinergy_host_own_power_watts", type: "gauge", help: "The host's own (non-VM) share of the measured power, in watts.")
                out.sample("cinergy_host_own_power_watts", share.hostOwnWatts)
            }
            if let ratio = host.observedRatio.ratio {
                out.family("cinergy_host_observed_cinergy_ratio", type: "gauge", help: "The cinergy ratio the host exhibits over the drift window: attributed over isolated dynamic power, load-weighted.")
                out.sample("cinergy_host_observed_cinergy_ratio", ratio)
            }
        }
        if configuration.libvirtURI != nil {
            out.family("cinergy_libvirt_connected", type: "gauge", help: "1 while the agent is connected to libvirt.")
            out.sample("cinergy_libvirt_connected", status.sources[.libvirt]?.available == true ? 1 : 0)
        }
        if let ledger, ledger.isEnabled {
            // What deploy/prometheus/cinergy-rules.yml's CinergyLedgerFailing alert watches.
            let ledgerStatus = ledger.status()
            out.family("cinergy_ledger_healthy", type: "gauge", help: "1 while the energy ledger writes its database (GET /health says why not).")
            out.sample("cinergy_ledger_healthy", ledgerStatus.state == .ok ? 1 : 0)
            out.family("cinergy_ledger_flush_cpu_seconds_total", type: "counter", help: "CPU time the ledger's flushes took since the agent started, in seconds.")
            out.sample("cinergy_ledger_flush_cpu_seconds_total", ledgerStatus.flushCPUSeconds)
            if let flushed = ledgerStatus.lastFlushUnixSeconds {
                out.family("cinergy_ledger_last_flush_timestamp_seconds", type: "gauge", help: "When the ledger last wrote its database (Unix time).")
                out.sample("cinergy_ledger_last_flush_timestamp_seconds", flushed)
            }
        }
        if let fleet {
            // The replication to the fleet's database (issue 20): GET /health's `fleet` says why it is not up.
            let fleetStatus = fleet.status()
            out.family("cinergy_fleet_replication_up", type: "gauge", help: "1 while the ledger is replicated to the fleet's database (GET /health says why not).")
            out.sample("cinergy_fleet_replication_up", fleetStatus.isHealthy ? 1 : 0)
            if let lag = fleetStatus.lagSeconds {
                out.family("cinergy_fleet_replication_lag_seconds", type: "gauge", help: "How old the newest data in the fleet's database may be, in seconds (0: nothing pending).")
                out.sample("cinergy_fleet_replication_lag_seconds", lag)
            }
            if let pending = fleetStatus.pendingRows {
                out.family("cinergy_fleet_replication_pending_rows", type: "gauge", help: "Ledger rows (VMs, model versions, buckets) changed and not yet in the fleet's database.")
                out.sample("cinergy_fleet_replication_pending_rows", Double(pending))
            }
            out.family("cinergy_fleet_replication_rows_total", type: "counter", help: "Ledger rows sent to the fleet's database since the agent started.")
            out.sample("cinergy_fleet_replication_rows_total", Double(fleetStatus.rowsSent))
            if let replicated = fleetStatus.lastReplicatedUnixSeconds {
                out.family("cinergy_fleet_replication_last_success_timestamp_seconds", type: "gauge", help: "When the last complete replication round started (Unix time).")
                out.sample("cinergy_fleet_replication_last_success_timestamp_seconds", replicated)
            }
        }
        if let guestChannels {
            // One series per VM whose domain has the channel (declared or hot-plugged).
            let channels = guestChannels.snapshot()
            out.family("cinergy_guest_channel_connected", type: "gauge", help: "1 while the agent is connected to the VM's guest channel socket.")
            for channel in channels {
                out.sample("cinergy_guest_channel_connected", labels: [("vm", channel.name), ("uuid", channel.uuid)], channel.isConnected ? 1 : 0)
            }
            out.family("cinergy_guest_channel_lines_total", type: "counter", help: "Lines handed to the VM's guest channel since the agent started.")
            for channel in channels {
                out.sample("cinergy_guest_channel_lines_total", labels: [("vm", channel.name), ("uuid", channel.uuid)], Double(channel.linesWritten))
            }
            out.family("cinergy_guest_channel_lines_dropped_total", type: "counter", help: "Lines dropped because the VM's guest channel buffer was full (the guest does not read).")
            for channel in channels {
                out.sample(
                    "cinergy_guest_channel_lines_dropped_total", labels: [("vm", channel.name), ("uuid", channel.uuid)], Double(channel.linesDropped))
            }
        }
        out.family("cinergy_http_requests_total", type: "counter", help: "HTTP requests answered, by route and status.")
        for (key, count) in requests.snapshot() {
            out.sample("cinergy_http_requests_total", ["route": key.route, "status": String(key.status)], Double(count))
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: out.text))
        )
    }
}
