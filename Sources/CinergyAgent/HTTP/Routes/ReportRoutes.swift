import CinergyCore
import CinergyLedger
import CinergySystem
import Hummingbird

/// `GET /report?from=&to=&by=vm|project&format=json|csv`: every VM's (or Nova project's) energy
/// (static, dynamic, reconstructed), carbon, time counted, CPU time and mean power over exactly a
/// period, with the model versions used: the document `cinergy report` prints too
/// (``ReportDocument``).
struct ReportRoutes<Context: RequestContext>: Sendable {
    let ledger: Ledger?

    var endpoints: [Endpoint<Context>] {
        [.get("/report") { request, _ in try await report(request) }]
    }

    func report(_ request: Request) async throws(APIError) -> Response {
        let query = try QueryParameters(request.uri.query)
        let period = try LedgerQuery.period(query, nowUnixSeconds: SystemClock.unixSeconds())
        let byText = try LedgerQuery.single("by", in: query) ?? "vm"
        guard let grouping = ReportGrouping(rawValue: byText) else {
            throw APIError(.badRequest, "query parameter 'by' must be vm or project: '\(byText)'")
        }
        let format = try LedgerQuery.format(query)
        let store = try LedgerQuery.store(of: ledger)
        let report: LedgerReport
        do {
            report = try await store.report(period: period, by: grouping)
        } catch {
            throw LedgerQuery.unavailable(error)
        }
        return LedgerQuery.response(ReportDocument.text(report, format: format), format: format, filename: "cinergy-report.csv")
    }
}
