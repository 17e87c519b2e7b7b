import CinergyCore
import CinergyLedger

/// The `/report` document: what `GET /report` serves and `cinergy report` prints, from one
/// ``LedgerReport`` by one function.
enum ReportDocument {
    static func text(_ report: LedgerReport, format: ReportFormat) -> String {
        switch format {
        case .json: json(report)
        case .csv: csv(report)
        }
    }

    static func json(_ report: LedgerReport) -> String {
        var json = JSONWriter()
        json.object { json in
            LedgerFields.period(report.plan, into: &json)
            json.field("by", report.grouping.rawValue)
            json.key("total")
            json.object { json in LedgerFields.amount(report.total, into: &json) }
            json.key("rows")
            json.array { json in
                for row in report.rows {
                    json.object { json in
                        json.field("vm", row.vm)
                        json.field("uuid", row.uuid)
                        json.field("project_id", row.projectID)
                        json.field("project_name", row.projectName)
                        json.field("vm_count", row.vmCount)
                        LedgerFields.amount(row.amount, into: &json)
                        LedgerFields.modelVersionIDs(row.modelVersionIDs, into: &json)
                    }
                }
            }
            LedgerFields.modelVersions(report.modelVersions, into: &json)
        }
        return json.text
    }

    /// The CSV header line's columns.
    static let csvColumns =
        ["vm", "uuid", "project_id", "project_name", "vm_count"] + LedgerFields.amountColumns + ["from", "to", "model_versions"]

    /// One line per row, each with the period summed and its model versions' parameters.
    static func csv(_ report: LedgerReport) -> String {
        let from = RFC3339.format(unixSeconds: report.plan.summed.fromUnixSeconds)
        let to = RFC3339.format(unixSeconds: report.plan.summed.toUnixSeconds)
        var text = CSVText.line(csvColumns)
        for row in report.rows {
            text += CSVText.line(
                [
                    CSVText.field(row.vm), CSVText.field(row.uuid), CSVText.field(row.projectID), CSVText.field(row.projectName),
                    String(row.vmCount),
                ] + LedgerFields.amountCSV(row.amount)
                    + [from, to, CSVText.field(LedgerFields.modelVersionsCSV(row.modelVersionIDs, report.modelVersions))]
            )
        }
        return text
    }
}
