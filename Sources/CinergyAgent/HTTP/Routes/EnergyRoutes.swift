import CinergyCore
import CinergyLedger
import CinergySystem
import Hummingbird

/// `GET /energy?vm=&from=&to=&step=&format=json|csv`: one VM's energy (static, dynamic,
/// reconstructed), carbon, time counted, CPU time and mean power over exactly a period, from the
/// ledger, with the series by step and the model versions used.
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
        let period = try LedgerQuery.period(query, nowUnixSeconds: SystemClock.unixSeconds())
        let step = try LedgerQuery.step(query)
        let format = try LedgerQuery.format(query)
        let store = try LedgerQuery.store(of: ledger)
        let vms: [LedgerVM]
        do {
            vms = try await store.vms(matching: key)
        } catch {
            throw LedgerQuery.unavailable(error)
        }
        guard let vm = vms.first else {
            throw APIError(.notFound, "the ledger has no VM '\(key)' (give a name or UUID the agent has seen)")
        }
        guard vms.count == 1 else {
            // Several VMs the ledger knows share the name (a VM recreated with a new UUID, say).
            let uuids = vms.map { $0.uuid ?? $0.key }.joined(separator: ", ")
            throw APIError(.conflict, "\(vms.count) VMs in the ledger are named '\(key)'; ask for one by UUID: \(uuids)")
        }
        let result: Result<LedgerSeries, SeriesPlan.Failure>
        do {
            result = try await store.series(vm: vm, period: period, stepSeconds: step, maxPoints: Int64(LedgerQuery.maxPoints))
        } catch {
            throw LedgerQuery.unavailable(error)
        }
        switch result {
        case .success(let series):
            return LedgerQuery.response(EnergyDocument.text(series, format: format), format: format, filename: "cinergy-energy.csv")
        case .failure(.tooManyPoints(let count, let limit)):
            throw APIError(.badRequest, "the period and step give \(count) points; at most \(limit) are served: widen 'step'")
        case .failure(.minutesNotKept(let keptFrom)):
            let retention = ledger?.configuration.minuteRetentionHours ?? 0
            let oldest = keptFrom.isFinite ? " (the oldest whole hour of them starts at \(RFC3339.format(unixSeconds: keptFrom)))" : " (none is left)"
            throw APIError(
                .badRequest,
                "a step of \(step / 60) minutes reads minute buckets, which the ledger keeps for LEDGER_MINUTE_RETENTION_HOURS=\(retention.formatted) h\(oldest); ask for a later 'from', or a step of whole hours"
            )
        }
    }
}

extension Double {
    /// `48` rather than `48.0`.
    fileprivate var formatted: String {
        self == rounded() && abs(self) < 1e15 ? String(Int64(self)) : description
    }
}
