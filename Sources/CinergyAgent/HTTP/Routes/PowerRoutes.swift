import CinergyCore
import CinergyMeter
import Hummingbird

/// `GET /power?vm=` and `GET /carbon?vm=`: one VM's isolated power and carbon emission rate.
struct PowerRoutes<Context: RequestContext>: Sendable {
    let registry: VMRegistry
    let powerModel: PowerModel
    let carbonModel: CarbonModel
    /// The emission factor file, whose factor in force now replaces `EMISSION_FACTOR` in `/carbon`.
    var emissionFactors: (any EmissionFactorSchedule)? = nil
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
        let estimate = powerModel.estimate(usage, vmCores: record.identity.vcpus)
        var json = JSONWriter()
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
            json.field("sampled_at", Timestamp.rfc3339(unixSeconds: usage.sampledAtUnixSeconds))
            json.field("sample_interval_seconds", usage.intervalSeconds)
            json.field("energy_joules", record.energyJoules)
            json.field("carbon_grams", record.carbonGrams)
            json.field("host_cpu_usage", usage.hostCPUUsagePercent)
            json.field("extrapolated", estimate.extrapolated)
            if let hostMonitor {
                // The metered share (issue 18); null until the meter's first reading with the VM.
                let share = hostMonitor.attributedShare(of: record.identity.key)
                json.field("attributed_power_watts", share?.totalWatts)
                json.field("attributed_static_power_watts", share?.staticWatts)
                json.field("attributed_dynamic_power_watts", share?.dynamicWatts)
            }
        }
        return JSONResponse.make(json.text)
    }

    /// The seed's fields in the seed's order, then `uuid`, `sampled_at`, and the VM's energy and
    /// carbon so far; last, where the factor came from (`emission_factor_source`: `file` or
    /// `EMISSION_FACTOR`).
    func carbon(_ request: Request) throws(APIError) -> Response {
        let (record, usage) = try VMQuery.resolve(request, in: registry)
        var carbonModel = carbonModel
        let fileFactor = emissionFactors?.gramsPerKilowattHour(atUnixSeconds: SystemClock.unixSeconds())
        if let fileFactor { carbonModel.emissionFactorGramsPerKilowattHour = fileFactor }
        let watts = powerModel.estimate(usage, vmCores: record.identity.vcpus).totalWatts
        var json = JSONWriter()
        json.object { json in
            json.field("vm", record.name)
            json.field("power_watts", watts)
            json.field("pue", carbonModel.pue)
            json.field("emission_factor_gco2_per_kwh", carbonModel.emissionFactorGramsPerKilowattHour)
            json.field("carbon_intensity_gco2_per_hour", carbonModel.gramsPerHour(powerWatts: watts))
            json.field("uuid", record.identity.uuid)
            json.field("sampled_at", Timestamp.rfc3339(unixSeconds: usage.sampledAtUnixSeconds))
            json.field("energy_joules", record.energyJoules)
            json.field("carbon_grams", record.carbonGrams)
            json.field("emission_factor_source", fileFactor == nil ? "EMISSION_FACTOR" : "file")
        }
        return JSONResponse.make(json.text)
    }
}
