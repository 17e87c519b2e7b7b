import CinergyCore
import Hummingbird

/// `GET /history` and `GET /history?vm=`: the samples each VM keeps (the last minute at the
/// default interval), with the power of each, oldest first.
struct HistoryRoutes<Context: RequestContext>: Sendable {
    let registry: VMRegistry
    let powerModel: PowerModel

    var endpoints: [Endpoint<Context>] {
        [.get("/history") { request, _ in try history(request) }]
    }

    func history(_ request: Request) throws(APIError) -> Response {
        let values = try QueryParameters(request.uri.query).values("vm")
        let records: [VMRecord]
        if values.isEmpty {
            records = registry.records()
        } else {
            let (record, _) = try VMQuery.resolve(request, in: registry, requireUsage: false)
            records = [record]
        }
        // Today's vCPU total: the history's samples do not keep theirs (STATIC_SHARE=running_vcpus).
        let runningVCPUs = registry.runningVCPUs
        var json = JSONWriter()
        json.array { json in
            for record in records {
                json.object { json in
                    json.field("name", record.name)
                    json.field("uuid", record.identity.uuid)
                    json.key("samples")
                    json.array { json in
                        for sample in record.history {
                            // Each sample with the state and vCPUs it was counted with.
                            let state = sample.vmState ?? record.identity.state
                            let vcpus = sample.vcpus ?? record.identity.vcpus
                            let usage = sample.effective(in: state).cpuUsagePercent
                            json.object { json in
                                json.field("sampled_at", RFC3339.format(unixSeconds: sample.sampledAtUnixSeconds))
                                json.field("state", state.rawValue)
                                json.field("vcpus", vcpus)
                                json.field("cpu_usage", usage)
                                json.field(
                                    "total_power_watts",
                                    powerModel.estimate(
                                        cpuUsagePercent: usage, vmCores: vcpus, hostLoadPercent: sample.hostCPUUsagePercent,
                                        runningVCPUs: runningVCPUs
                                    ).totalWatts
                                )
                            }
                        }
                    }
                }
            }
        }
        return JSONResponse.make(json.text)
    }
}
