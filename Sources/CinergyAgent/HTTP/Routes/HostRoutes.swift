import CinergyCore
import Hummingbird

/// `GET /host`: the host's CPU load, the model's prediction for the whole host, the sum of the
/// VMs' isolated powers and, with a meter, what it measures and the model's error against it.
struct HostRoutes<Context: RequestContext>: Sendable {
    let registry: VMRegistry
    let powerModel: PowerModel
    let monitor: HostPowerMonitor
    /// Whether a meter was configured (`HOST_METER` other than `none`).
    let meterConfigured: Bool
    /// The server's embodied emissions over its lifetime; nil when not accounted (issue 19).
    var embodied: EmbodiedModel? = nil

    var endpoints: [Endpoint<Context>] {
        [.get("/host") { _, _ in host() }]
    }

    func host() -> Response {
        let status = registry.status()
        let records = registry.records()
        let hostLoad = status.lastRound?.hostCPUUsagePercent
        let runningVCPUs = records.reduce(0) { $0 + $1.identity.vcpus }
        let isolated = records.reduce(0.0) { sum, record in
            sum + (record.effectiveUsage.map { powerModel.estimate($0, vmCores: record.identity.vcpus, runningVCPUs: runningVCPUs).totalWatts } ?? 0)
        }
        let shareSum = records.reduce(0.0) { $0 + powerModel.share(vmCores: $1.identity.vcpus, runningVCPUs: runningVCPUs) }
        let snapshot = monitor.snapshot()
        var json = JSONWriter()
        json.object { json in
            json.field("host_cpu_usage", hostLoad)
            json.field("server_cores", powerModel.serverCores)
            json.field("model_power_watts", hostLoad.map { powerModel.hostWatts(hostLoadPercent: $0) })
            json.field("vms_isolated_power_watts", isolated)
            json.field("vm_count", records.count)
            json.field("sampled_at", status.lastRound.map { Timestamp.rfc3339(unixSeconds: $0.finishedAtUnixSeconds) })
            json.field("static_share", powerModel.staticShare.rawValue)
            json.field("running_vcpus", runningVCPUs)
            json.field("static_share_sum", shareSum)
            json.field("embodied_carbon_gco2_per_hour", embodied.map { $0.gramsPerHour(share: shareSum) })
            json.key("meter")
            guard meterConfigured else {
                json.value(nil as String?)
                return
            }
            json.object { json in
                json.field("kind", snapshot.meter?.kind)
                json.field("measures", snapshot.meter?.measures)
                json.field("available", snapshot.meter != nil && snapshot.meterError == nil)
                json.field("error", snapshot.meterError)
                json.field("power_watts", snapshot.latest?.measuredWatts)
                json.field("host_cpu_usage", snapshot.latest?.hostLoadPercent)
                json.field("model_power_watts", snapshot.latest?.predictedWatts)
                json.field("model_error_percent", snapshot.latest?.errorPercent)
                json.field("mean_absolute_percent_error", snapshot.meanAbsolutePercentError)
                json.field("window_seconds", snapshot.configuration.windowSeconds)
                json.field("readings_in_window", snapshot.window.count)
                json.field("energy_joules", snapshot.energyJoules)
                json.field("read_at", snapshot.latest.map { Timestamp.rfc3339(unixSeconds: $0.atUnixSeconds) })
                json.field("drifting", snapshot.drifting)
                json.field("drift_threshold_percent", snapshot.configuration.driftThresholdPercent)
            }
        }
        return JSONResponse.make(json.text)
    }
}
