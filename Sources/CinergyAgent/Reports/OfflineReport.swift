public import CinergyLedger
import CinergyCore
import SystemPackage

/// `cinergy report`: the document `GET /report` serves (``ReportDocument``), from the ledger file
/// of a state directory opened read-only, whether an agent is writing it or not.
public enum OfflineReport {
    /// Why no report could be printed.
    public enum Failure: Error, CustomStringConvertible {
        /// A bad option value: the command's usage error.
        case usage(String)
        /// The ledger cannot be read.
        case ledger(LedgerError)

        public var description: String {
            switch self {
            case .usage(let message): message
            case .ledger(let error): "\(error)"
            }
        }
    }

    /// The state directory the agent uses unless `STATE_DIRECTORY` says otherwise.
    public static let defaultStateDirectory = "/var/lib/cinergy"

    /// The report over [`from`, `to`) (RFC 3339; by default the 24 hours to `nowUnixSeconds`), as
    /// `GET /report?from=&to=&by=&format=` would answer it from the same database.
    public static func text(
        stateDirectory: String, from: String?, to: String?, by grouping: ReportGrouping, format: ReportFormat,
        nowUnixSeconds: Double = SystemClock.unixSeconds()
    ) throws(Failure) -> String {
        func time(_ name: String, _ text: String?) throws(Failure) -> Double? {
            guard let text else { return nil }
            guard let value = RFC3339.parse(text), value.isFinite else {
                throw .usage("--\(name) is not an RFC 3339 time such as 2026-12-01T00:00:00Z: '\(text)'")
            }
            return value
        }
        let toSeconds = try time("to", to) ?? nowUnixSeconds
        let fromSeconds = try time("from", from) ?? toSeconds - 86400
        guard fromSeconds <= toSeconds else {
            throw .usage(
                "--from (\(RFC3339.format(unixSeconds: fromSeconds))) is after --to (\(RFC3339.format(unixSeconds: toSeconds)))"
            )
        }
        let path = LedgerConfiguration(stateDirectory: FilePath(stateDirectory)).databasePath ?? FilePath(stateDirectory)
        do {
            let store = try LedgerStore(readingOnly: path)
            let report = try store.reportNow(
                period: LedgerPeriod(fromUnixSeconds: fromSeconds, toUnixSeconds: toSeconds), by: grouping
            )
            return ReportDocument.text(report, format: format)
        } catch {
            throw .ledger(error)
        }
    }
}
