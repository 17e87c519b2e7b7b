import CinergyCore
import CinergyFleet
import CinergyLedger
import CinergyMeter
import CinergySystem
import Hummingbird

/// `GET /health`: liveness, plus what the agent knows (VMs, last sample, sources).
struct HealthRoutes<Context: RequestContext>: Sendable {
    let registry: VMRegistry
    let sampleIntervalSeconds: Double
    let startedAtUnixSeconds: Double
    /// The host meter against the model, when `HOST_METER` names one.
    var hostMonitor: HostPowerMonitor? = nil
    /// The ledger, whose state `/health` reports; nil reports it off.
    var ledger: Ledger? = nil
    /// The replication to the fleet's database, whose state `/health` reports; nil reports it off.
    var fleet: FleetReplicator? = nil

    var endpoints: [Endpoint<Context>] {
        [.get("/health") { _, _ in health() }]
    }

    func health() -> Response {
        let status = registry.status()
        let now = SystemClock.unixSeconds()
        var json = JSONWriter()
        json.object { json in
            json.field("status", "ok")
            json.field("uptime_seconds", now - startedAtUnixSeconds)
            json.field("vm_count", status.vmCount)
            json.field("sample_interval_seconds", sampleIntervalSeconds)
            json.field("last_sample_at", status.lastRound.map { RFC3339.format(unixSeconds: $0.finishedAtUnixSeconds) })
            json.field("last_sample_duration_seconds", status.lastRound?.durationSeconds)
            json.key("sources")
            json.object { json in
                for source in VMSource.allCases {
                    guard let sourceStatus = status.sources[source] else { continue }
                    json.key(source.rawValue)
                    json.object { json in
                        json.field("available", sourceStatus.available)
                        json.field("vm_count", status.vmCountBySource[source] ?? 0)
                        json.field(
                            "last_update_at",
                            sourceStatus.lastUpdateUnixSeconds.map { RFC3339.format(unixSeconds: $0) }
                        )
                        json.field("detail", sourceStatus.detail)
                        json.field("last_error", sourceStatus.lastError)
                    }
                }
            }
            if let hostMonitor {
                // Whether the model still matches the host's meter (`GET /host` has the figures).
                let snapshot = hostMonitor.snapshot()
                json.key("model")
                json.object { json in
                    json.field("drifting", snapshot.drifting)
                    json.field("mean_absolute_percent_error", snapshot.meanAbsolutePercentError)
                    json.field("drift_threshold_percent", snapshot.configuration.driftThresholdPercent)
                    json.field("window_seconds", snapshot.configuration.windowSeconds)
                    json.field("meter", snapshot.meter?.kind.rawValue)
                    json.field("meter_error", snapshot.meterError)
                    json.field(
                        "advice",
                        snapshot.drifting ? "the model no longer matches the host's meter: run `cinergy calibrate` to refit it" : nil
                    )
                }
            }
            // The ledger (issue 13): its state and, when it cannot write, why.
            let ledgerStatus = ledger?.status()
            json.key("ledger")
            json.object { json in
                json.field("state", (ledgerStatus?.state ?? .off).rawValue)
                json.field("path", ledgerStatus?.path)
                json.field("detail", ledgerStatus?.detail)
                json.field("last_flush_at", ledgerStatus?.lastFlushUnixSeconds.map { RFC3339.format(unixSeconds: $0) })
                json.field("pending_vm_count", ledgerStatus?.pendingVMCount ?? 0)
                json.field("moved_aside_path", ledgerStatus?.movedAsidePath)
                json.field("flush_cpu_seconds", ledgerStatus?.flushCPUSeconds ?? 0)
            }
            // The replication to the fleet's database (issue 20).
            let fleetStatus = fleet?.status()
            json.key("fleet")
            json.object { json in
                json.field("state", fleetStatus?.state.rawValue ?? "off")
                json.field("detail", fleetStatus?.detail)
                json.field("host_identity", fleetStatus?.hostIdentity)
                json.field("database", fleetStatus?.database)
                json.field("lag_seconds", fleetStatus?.lagSeconds)
                json.field("pending_rows", fleetStatus?.pendingRows)
                json.field("last_replicated_at", fleetStatus?.lastReplicatedUnixSeconds.map { RFC3339.format(unixSeconds: $0) })
                json.field("rows_sent", fleetStatus?.rowsSent ?? 0)
                json.field("schema_version", fleetStatus?.schemaVersion)
            }
        }
        return JSONResponse.make(json.text)
    }
}
