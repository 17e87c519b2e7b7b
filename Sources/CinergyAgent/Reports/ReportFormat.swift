/// How `/report`, `/energy` and `cinergy report` write their document.
public enum ReportFormat: String, Sendable, CaseIterable {
    case json
    /// RFC 4180 CSV with a header line.
    case csv

    var contentType: String {
        switch self {
        case .json: "application/json; charset=utf-8"
        case .csv: "text/csv; charset=utf-8"
        }
    }
}
