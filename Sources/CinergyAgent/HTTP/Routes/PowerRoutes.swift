import CinergyCore
import CinergyMeter
import CinergySystem
import Hummingbird

/// `GET /power?vm=` and `GET /carbon?vm=`: one VM's isolated power and carbon emission rate.
struct PowerRoutes<Context: RequestContext>: Sendable {
    let registry: VMRegistry
    let powerModel: PowerModel
    let carbonModel: CarbonModel
    /// The emission factor file, whose factor in force now replaces `EMISSION_FACTOR` in `/carbon`.
    var emissionFactors: (any EmissionFactorSchedule)? = nil
    /// The server's embodied emissions over its lifetime; nil when not accounted (issue 19).
    var embodied: EmbodiedModel? = nil
    /// The host meter's monitor when `HOST_METER` names a meter: `/power` then carries the VM's
    /// attributed (metered) power beside its isolated power; nil: nothing changes.
    var hostMonitor: HostPowerMonitor? = nil

    var endpoints: [Endpoint<Context>] {
        [
            .get("/power") { request, _ in try power(request) },
            .get("/carbon") { request, _ in try carbon(request) },
        ]
    }

    /// The seed's fields in the seed's order, then `uuid`, `model_input`, `sampled_at`,
    /// `sample_interval_seconds`, the VM's energy and carbon so far, the host's CPU load the ratio
    /// was taken at, and whether the model's input left the range `f` was fitted on; with a host
    /// meter, the VM's attributed power (static, dynamic, total).
    func power(_ request: Request) throws(APIError) -> Response {
        let (record, usage) = try VMQuery.resolve(request, in: registry)
        var json = JSONWriter()
        writePower(record, usage, to: &json)
        return JSONResponse.make(json.text)
    }

    /// `/power`'s object for `record` at `usage`. Without `hostLoad`, `host_cpu_usage` (the load
    /// of the whole host, the neighbours' included) is left out: the guest channel's form.
    func writePower(_ record: VMRecord, _ usage: UsageSample, to json: inout JSONWriter, hostLoad: Bool = true) {
        let estimate = powerModel.estimate(usage, vmCores: record.identity.vcpus, runningVCPUs: registry.runningVCPUs)
        json.object { json in
            json.field("vm", record.name)
            json.field("cpu_usage", usage.cpuUsagePercent)
            json.field("vm_cores", record.identity.vcpus)
            json.field("server_cores", powerModel.serverCores)
            json.field("cinergy_ratio", estimate.cinergyRatio)
            json.field("static_power_watts", estimate.staticWatts)
            json.field("dynamic_power_watts", estimate.dynamicWatts)
            json.field("total_power_watts", estimate.totalWatts)
            json.field("uuid", record.identity.uuid)
            json.field("model_input", powerModel.input.rawValue)
            json.field("sampled_at", RFC3339.format(unixSeconds: usage.sampledAtUnixSeconds))
            json.field("sample_interval_seconds", usage.intervalSeconds)
            json.field("energy_joules", record.energyJoules)
            json.field("carbon_grams", record.carbonGrams)
            if hostLoad { json.field("host_cpu_usage", usage.hostCPUUsagePercent) }
            json.field("extrapolated", estimate.extrapolated)
            // The metered share (issue 18), which depends on the neighbours: not in the guest's form.
            if hostLoad, let hostMonitor {
                // Null until the meter's first reading with the VM.
                let share = hostMonitor.attributedShare(of: record.identity.key)
                json.field("attributed_power_watts", share?.totalWatts)
                json.field("attributed_static_power_watts", share?.staticWatts)
                json.field("attributed_dynamic_power_watts", share?.dynamicWatts)
            }
        }
    }

    /// The seed's fields in the seed's order, then `uuid`, `sampled_at`, and the VM's energy and
    /// carbon so far; last, where the factor came from (`emission_factor_source`: `file` or
    /// `EMISSION_FACTOR`); then the VM's static share, its embodied carbon rate and the total rate
    /// (operational + embodied) in gCO2eq/h, and its embodied carbon so far: null when
    /// `SERVER_EMBODIED_EMISSIONS` is unset (not accounted), never 0 for "unknown"; last, the
    /// factor file's provenance: provider, zone or region, signal, and whether the provider
    /// estimated the factor in force (null where unknown or with `EMISSION_FACTOR`).
    func carbon(_ request: Request) throws(APIError) -> Response {
        let (record, usage) = try VMQuery.resolve(request, in: registry)
        var json = JSONWriter()
        writeCarbon(record, usage, to: &json)
        return JSONResponse.make(json.text)
    }

    /// `/carbon`'s object for `record` at `usage`, with the factor in force now.
    func writeCarbon(_ record: VMRecord, _ usage: UsageSample, to json: inout JSONWriter) {
        let now = SystemClock.unixSeconds()
        let fileFactor = emissionFactors?.gramsPerKilowattHour(atUnixSeconds: now)
        let provenance = fileFactor == nil ? nil : emissionFactors?.provenance
        let carbonModel = carbonModel.overridingEmissionFactor(fileFactor)
        let runningVCPUs = registry.runningVCPUs
        let watts = powerModel.estimate(usage, vmCores: record.identity.vcpus, runningVCPUs: runningVCPUs).totalWatts
        let share = powerModel.share(vmCores: record.identity.vcpus, runningVCPUs: runningVCPUs)
        let operational = carbonModel.gramsPerHour(powerWatts: watts)
        let embodiedRate = embodied?.gramsPerHour(share: share)
        json.object { json in
            json.field("vm", record.name)
            json.field("power_watts", watts)
            json.field("pue", carbonModel.pue)
            json.field("emission_factor_gco2_per_kwh", carbonModel.emissionFactorGramsPerKilowattHour)
            json.field("carbon_intensity_gco2_per_hour", operational)
            json.field("uuid", record.identity.uuid)
            json.field("sampled_at", RFC3339.format(unixSeconds: usage.sampledAtUnixSeconds))
            json.field("energy_joules", record.energyJoules)
            json.field("carbon_grams", record.carbonGrams)
            json.field("emission_factor_source", fileFactor == nil ? "EMISSION_FACTOR" : "file")
            json.field("static_share", share)
            json.field("embodied_carbon_gco2_per_hour", embodiedRate)
            json.field("total_carbon_gco2_per_hour", embodiedRate.map { operational + $0 })
            json.field("embodied_carbon_grams", embodied == nil ? nil : record.embodiedGrams)
            // Where the file's factor comes from (null with EMISSION_FACTOR).
            json.field("emission_factor_provider", provenance?.provider.rawValue)
            json.field("emission_factor_zone", provenance?.zone)
            json.field("emission_factor_signal", provenance?.signal)
            json.key("emission_factor_estimated")
            if fileFactor != nil, let estimated = emissionFactors?.isEstimated(atUnixSeconds: now) {
                json.value(estimated)
            } else {
                json.value(nil as String?)
            }
        }
    }
}
