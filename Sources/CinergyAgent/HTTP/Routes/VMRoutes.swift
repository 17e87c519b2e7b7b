import CinergyCore
import Hummingbird

/// `GET /vms`: every tracked VM with its identity, latest usage and total power.
///
/// The body is built once per registry version (once per sample interval, plus when VMs come and
/// go) and reused by every request until the registry changes.
struct VMRoutes<Context: RequestContext>: Sendable {
    let registry: VMRegistry
    let powerModel: PowerModel
    let cache = ResponseCache()

    var endpoints: [Endpoint<Context>] {
        [.get("/vms") { _, _ in list() }]
    }

    func list() -> Response {
        if let body = cache.body(version: registry.recordsVersion) { return JSONResponse.make(body: body) }
        let (records, version) = registry.versionedRecords()
        let body = JSONResponse.body(Self.json(records, powerModel: powerModel))
        cache.store(body, version: version)
        return JSONResponse.make(body: body)
    }

    static func json(_ records: [VMRecord], powerModel: PowerModel) -> String {
        // The static share's denominator (STATIC_SHARE=running_vcpus): every VM listed.
        let runningVCPUs = records.reduce(0) { $0 + $1.identity.vcpus }
        var json = JSONWriter()
        json.array { json in
            for record in records {
                let usage = record.effectiveUsage
                let watts = usage.map {
                    powerModel.estimate($0, vmCores: record.identity.vcpus, runningVCPUs: runningVCPUs).totalWatts
                }
                json.object { json in
                    json.field("name", record.name)
                    json.field("uuid", record.identity.uuid)
                    json.field("pid", record.identity.pid.map(Int.init))
                    json.field("vcpus", record.identity.vcpus)
                    json.field("source", record.identity.source.rawValue)
                    json.field("state", record.identity.state.rawValue)
                    json.field("cpu_usage", usage?.cpuUsagePercent)
                    json.field("total_power_watts", watts)
                    json.field("sampled_at", usage.map { RFC3339.format(unixSeconds: $0.sampledAtUnixSeconds) })
                    json.field("energy_joules", record.energyJoules)
                    json.field("carbon_grams", record.carbonGrams)
                    json.key("nova")
                    if let nova = record.identity.nova {
                        json.object { json in
                            json.field("name", nova.displayName)
                            json.field("project_id", nova.projectID)
                            json.field("project_name", nova.projectName)
                            json.field("user_id", nova.userID)
                            json.field("user_name", nova.userName)
                            json.field("flavor", nova.flavorName)
                        }
                    } else {
                        json.value(nil as String?)
                    }
                }
            }
        }
        return json.text
    }
}
