import CinergyCore
import CinergyLedger
import Hummingbird

/// `GET /report?from=&to=&by=vm|project&format=json|csv`: every VM's (or Nova project's) energy,
/// carbon, hours running and mean power over a period, from the ledger's buckets.
struct ReportRoutes<Context: RequestContext>: Sendable {
    let ledger: Ledger?

    var endpoints: [Endpoint<Context>] {
        [.get("/report") { request, _ in try await report(request) }]
    }

    /// One line of a report: a VM, or a Nova project's VMs together.
    struct Row {
        var vm: String?
        var uuid: String?
        var projectID: String?
        var projectName: String?
        var vmCount: Int
        var amount: BucketAmount
    }

    func report(_ request: Request) async throws(APIError) -> Response {
        let query = try QueryParameters(request.uri.query)
        let now = SystemClock.unixSeconds()
        let (from, to) = try LedgerQuery.period(query, nowUnixSeconds: now)
        let by = try LedgerQuery.single("by", in: query) ?? "vm"
        guard by == "vm" || by == "project" else {
            throw APIError(.badRequest, "query parameter 'by' must be vm or project: '\(by)'")
        }
        let format = try LedgerQuery.single("format", in: query) ?? "json"
        guard format == "json" || format == "csv" else {
            throw APIError(.badRequest, "query parameter 'format' must be json or csv: '\(format)'")
        }
        let store = try LedgerQuery.store(of: ledger)
        // Minute buckets while they are kept for the whole period, hour buckets beyond.
        let minuteWindow = (ledger?.configuration.minuteRetentionHours ?? 0) * 3600
        let resolution: BucketResolution = from >= now - minuteWindow + 60 ? .minute : .hour
        let amounts = try await store.query { db in
            try LedgerStore.amounts(fromUnixSeconds: from, toUnixSeconds: to, resolution: resolution, in: db)
        }
        let rows = by == "vm" ? Self.byVM(amounts) : Self.byProject(amounts)
        if format == "csv" { return Self.csv(rows) }
        var total = BucketAmount()
        for row in rows { total += row.amount }
        var json = JSONWriter()
        json.object { json in
            json.field("from", RFC3339.format(unixSeconds: from))
            json.field("to", RFC3339.format(unixSeconds: to))
            json.field("by", by)
            json.field("resolution_seconds", Int(resolution.rawValue))
            json.key("total")
            json.object { json in Self.amountFields(total, into: &json) }
            json.key("rows")
            json.array { json in
                for row in rows {
                    json.object { json in
                        json.field("vm", row.vm)
                        json.field("uuid", row.uuid)
                        json.field("project_id", row.projectID)
                        json.field("project_name", row.projectName)
                        json.field("vm_count", row.vmCount)
                        Self.amountFields(row.amount, into: &json)
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
        json.field("hours_running", amount.runningSeconds / 3600)
        json.field("mean_power_watts", LedgerQuery.meanWatts(amount))
    }

    static func byVM(_ amounts: [(vm: LedgerVM, amount: BucketAmount)]) -> [Row] {
        amounts.map { vm, amount in
            Row(vm: vm.name, uuid: vm.uuid, projectID: vm.nova?.projectID, projectName: vm.nova?.projectName, vmCount: 1, amount: amount)
        }
    }

    /// One row per Nova project (by project ID); a VM without Nova metadata has its own row.
    static func byProject(_ amounts: [(vm: LedgerVM, amount: BucketAmount)]) -> [Row] {
        var projects: [String: Row] = [:]
        var loose: [Row] = []
        for (vm, amount) in amounts {
            guard let projectID = vm.nova?.projectID else {
                loose.append(Row(vm: vm.name, uuid: vm.uuid, projectID: nil, projectName: nil, vmCount: 1, amount: amount))
                continue
            }
            var row = projects[projectID] ?? Row(projectID: projectID, projectName: vm.nova?.projectName, vmCount: 0, amount: BucketAmount())
            row.vmCount += 1
            row.amount += amount
            projects[projectID] = row
        }
        return projects.values.sorted { ($0.projectName ?? "", $0.projectID ?? "") < ($1.projectName ?? "", $1.projectID ?? "") } + loose
    }

    /// RFC 4180 CSV with a header line; numbers as JSON writes them, empty for none.
    static func csv(_ rows: [Row]) -> Response {
        func field(_ text: String?) -> String {
            guard let text else { return "" }
            guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
            return "\"" + text.replacingQuotes + "\""
        }
        func number(_ value: Double?) -> String {
            guard let value, value.isFinite else { return "" }
            return value.description
        }
        var text = "vm,uuid,project_id,project_name,vm_count,energy_joules,energy_kwh,carbon_grams,hours_running,mean_power_watts\r\n"
        for row in rows {
            let amount = row.amount
            let fields = [
                field(row.vm), field(row.uuid), field(row.projectID), field(row.projectName), String(row.vmCount),
                number(amount.energyJoules), number(amount.energyJoules / 3.6e6), number(amount.carbonGrams),
                number(amount.runningSeconds / 3600), number(LedgerQuery.meanWatts(amount)),
            ]
            text += fields.joined(separator: ",") + "\r\n"
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"cinergy-report.csv\""],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text))
        )
    }
}

extension String {
    fileprivate var replacingQuotes: String {
        var out = ""
        for character in self { out += character == "\"" ? "\"\"" : String(character) }
        return out
    }
}
