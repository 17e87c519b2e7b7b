import CinergyCore
import CinergyMeter
import Hummingbird

/// `GET /host`: the host's CPU load, the model's prediction for the whole host, the sum of the
/// VMs' isolated powers and, with a meter, what it measures, the model's error against it, the
/// metered share (each VM's attributed power, the host's own, adding up to the measured power) and
/// the cinergy ratio the host exhibits beside the configured one.
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
            json.field("sampled_at", status.lastRound.map { RFC3339.format(unixSeconds: $0.finishedAtUnixSeconds) })
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
                json.field("kind", snapshot.meter?.kind.rawValue)
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
                json.field("read_at", snapshot.latest.map { RFC3339.format(unixSeconds: $0.atUnixSeconds) })
                json.field("drifting", snapshot.drifting)
                json.field("drift_threshold_percent", snapshot.configuration.driftThresholdPercent)
                json.key("attribution")
                attribution(snapshot, hostLoad: hostLoad, into: &json)
            }
        }
        return JSONResponse.make(json.text)
    }

    /// The metered share of the newest reading and the observed cinergy ratio; null before the
    /// first reading.
    func attribution(_ snapshot: HostPowerMonitor.Snapshot, hostLoad: Double?, into json: inout JSONWriter) {
        guard let share = snapshot.share else {
            json.value(nil as String?)
            return
        }
        let ratioByVM = snapshot.observedRatioByVM
        json.object { json in
            json.field("measured_power_watts", share.measuredWatts)
            json.field("idle_power_watts", share.idleWatts)
            json.field("vms_attributed_power_watts", share.vmsWatts)
            json.field("host_own_power_watts", share.hostOwnWatts)
            json.field("sum_watts", share.vmsWatts + share.hostOwnWatts)
            json.field("observed_cinergy_ratio", snapshot.observedRatio.ratio)
            json.field("configured_cinergy_ratio", powerModel.ratio.value(hostLoadPercent: hostLoad))
            switch powerModel.ratio {
            case .constant:
                json.field("configured_cinergy_ratio_source", "CINERGY_RATIO")
            case .hostLoadCurve:
                json.field("configured_cinergy_ratio_source", "CINERGY_RATIO_COEFF")
            }
            json.field("configured_cinergy_ratio_over_window", snapshot.configuredRatio)
            json.key("vms")
            json.array { json in
                for vm in share.vms {
                    json.object { json in
                        json.field("vm", vm.name)
                        json.field("uuid", vm.uuid)
                        json.field("cpu_usage", vm.cpuUsagePercent)
                        json.field("attributed_static_power_watts", vm.staticWatts)
                        json.field("attributed_dynamic_power_watts", vm.dynamicWatts)
                        json.field("attributed_power_watts", vm.totalWatts)
                        json.field("model_dynamic_power_watts", vm.isolatedDynamicWatts)
                        json.field("observed_cinergy_ratio", ratioByVM[vm.key]?.ratio)
                    }
                }
            }
        }
    }
}
