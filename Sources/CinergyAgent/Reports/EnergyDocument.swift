import CinergyCore
import CinergyLedger

/// The `/energy` document: one VM's totals over a period and its series by step.
enum EnergyDocument {
    static func text(_ series: LedgerSeries, format: ReportFormat) -> String {
        switch format {
        case .json: json(series)
        case .csv: csv(series)
        }
    }

    static func json(_ series: LedgerSeries) -> String {
        var json = JSONWriter()
        json.object { json in
            json.field("vm", series.vm.name)
            json.field("uuid", series.vm.uuid)
            LedgerFields.period(series.plan.period, into: &json)
            json.field("step_seconds", Int(series.stepSeconds))
            LedgerFields.amount(series.total, into: &json)
            json.key("series")
            json.array { json in
                for point in series.points {
                    json.object { json in
                        json.field("start", RFC3339.format(unixSeconds: point.period.fromUnixSeconds))
                        json.field("end", RFC3339.format(unixSeconds: point.period.toUnixSeconds))
                        LedgerFields.amount(point.amount, into: &json)
                        LedgerFields.modelVersionIDs(point.modelVersionIDs, into: &json)
                    }
                }
            }
            LedgerFields.modelVersions(series.modelVersions, into: &json)
        }
        return json.text
    }

    static let csvColumns = ["vm", "uuid", "start", "end"] + LedgerFields.amountColumns + ["model_versions"]

    /// One line per point of the series.
    static func csv(_ series: LedgerSeries) -> String {
        var text = CSVText.line(csvColumns)
        for point in series.points {
            text += CSVText.line(
                [
                    CSVText.field(series.vm.name), CSVText.field(series.vm.uuid),
                    RFC3339.format(unixSeconds: point.period.fromUnixSeconds), RFC3339.format(unixSeconds: point.period.toUnixSeconds),
                ] + LedgerFields.amountCSV(point.amount)
                    + [CSVText.field(LedgerFields.modelVersionsCSV(point.modelVersionIDs, series.modelVersions))]
            )
        }
        return text
    }
}
