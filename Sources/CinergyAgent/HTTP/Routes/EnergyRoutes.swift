import CinergyCore
import CinergyLedger
import Hummingbird

/// `GET /energy?vm=&from=&to=&step=`: one VM's energy, carbon, running time and mean power over a
/// period from the ledger, with the series by step.
struct EnergyRoutes<Context: RequestContext>: Sendable {
    let ledger: Ledger?

    var endpoints: [Endpoint<Context>] {
        [.get("/energy") { request, _ in try await energy(request) }]
    }

    func energy(_ request: Request) async throws(APIError) -> Response {
        let query = try QueryParameters(request.uri.query)
        guard let key = try LedgerQuery.single("vm", in: query) else {
            throw APIError(.badRequest, "missing query parameter 'vm' (a VM name or UUID)")
        }
        let (from, to) = try LedgerQuery.period(query, nowUnixSeconds: SystemClock.unixSeconds())
        let step = try LedgerQuery.step(query)
        // Hour buckets for whole hours, minute buckets (kept for the recent window) otherwise.
        let resolution: BucketResolution = step % 3600 == 0 ? .hour : .minute
        let start = LedgerStore.alignedStart(from, resolution)
        let points = (Int64(to.rounded(.up)) - start + step - 1) / step
        guard points <= LedgerQuery.maxPoints else {
            throw APIError(.badRequest, "the period and step give \(points) points; at most \(LedgerQuery.maxPoints) are served: widen 'step'")
        }
        let store = try LedgerQuery.store(of: ledger)
        let result = try await store.query { db -> ([LedgerVM], [BucketAmount]) in
            let vms = try LedgerStore.vms(matching: key, in: db)
            guard vms.count == 1 else { return (vms, []) }
            let series = try LedgerStore.series(
                vmID: vms[0].id, fromUnixSeconds: from, toUnixSeconds: to, stepSeconds: step, resolution: resolution, in: db
            )
            return (vms, series)
        }
        let (vms, series) = result
        guard let vm = vms.first else {
            throw APIError(.notFound, "the ledger has no VM '\(key)' (give a name or UUID the agent has seen)")
        }
        guard vms.count == 1 else {
            // Several VMs the ledger knows share the name (a VM recreated with a new UUID, say).
            let uuids = vms.map { $0.uuid ?? $0.key }.joined(separator: ", ")
            throw APIError(.conflict, "\(vms.count) VMs in the ledger are named '\(key)'; ask for one by UUID: \(uuids)")
        }
        var total = BucketAmount()
        for point in series { total += point }
        var json = JSONWriter()
        json.object { json in
            json.field("vm", vm.name)
            json.field("uuid", vm.uuid)
            json.field("from", RFC3339.format(unixSeconds: from))
            json.field("to", RFC3339.format(unixSeconds: to))
            json.field("step_seconds", Int(step))
            json.field("resolution_seconds", Int(resolution.rawValue))
            Self.amountFields(total, into: &json)
            json.key("series")
            json.array { json in
                for (index, point) in series.enumerated() {
                    json.object { json in
                        let pointStart = start + Int64(index) * step
                        json.field("start", RFC3339.format(unixSeconds: Double(pointStart)))
                        json.field("end", RFC3339.format(unixSeconds: Double(pointStart + step)))
                        Self.amountFields(point, into: &json)
                    }
                }
            }
        }
        return JSONResponse.make(json.text)
    }

    static func amountFields(_ amount: BucketAmount, into json: inout JSONWriter) {
        json.field("energy_joules", amount.energyJoules)
        json.field("energy_kwh", amount.energyJoules / 3.6e6)
        json.field("carbon_grams", amount.carbonGrams)
        json.field("running_seconds", amount.runningSeconds)
        json.field("mean_power_watts", LedgerQuery.meanWatts(amount))
    }
}
