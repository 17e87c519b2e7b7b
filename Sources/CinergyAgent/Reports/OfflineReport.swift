public import CinergyLedger
import CinergyCore
import CinergyFleet
import CinergySystem
import Logging
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
        /// The fleet database cannot give the report (unreachable, refusing, no such host…).
        case database(String)

        public var description: String {
            switch self {
            case .usage(let message): message
            case .ledger(let error): "\(error)"
            case .database(let message): message
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
        let period = try period(from: from, to: to, nowUnixSeconds: nowUnixSeconds)
        let path = LedgerConfiguration(stateDirectory: FilePath(stateDirectory)).databasePath ?? FilePath(stateDirectory)
        do {
            let store = try LedgerStore(readingOnly: path)
            let report = try store.reportNow(
                period: period, by: grouping
            )
            return ReportDocument.text(report, format: format)
        } catch {
            throw .ledger(error)
        }
    }

    /// The fleet's report over [`from`, `to`) from the central database at `databaseURL` (the
    /// agent's `FLEET_DATABASE_URL` form; the password on the first line of `passwordFile`), for
    /// the hosts named (`FLEET_HOST_IDENTITY`s; every host when empty): the same document, a VM
    /// that moved between hosts one row (``FleetReport``).
    public static func fleetText(
        databaseURL: String, passwordFile: String?, hosts: [String], from: String?, to: String?, by grouping: ReportGrouping,
        format: ReportFormat, nowUnixSeconds: Double = SystemClock.unixSeconds()
    ) async throws(Failure) -> String {
        let period = try period(from: from, to: to, nowUnixSeconds: nowUnixSeconds)
        let url: FleetDatabaseURL
        switch FleetDatabaseURL.parse(databaseURL) {
        case .success(let parsed): url = parsed
        case .failure(.hasPassword):
            // Never echoed: the password is in it.
            throw .usage("--database holds a password: give it in --database-password-file instead")
        case .failure(.badParameter(let parameter)):
            throw .usage("--database has a bad parameter '\(parameter)': sslmode= one of disable, prefer, require, verify-ca, verify-full; sslrootcert= a path")
        case .failure(.notAURL):
            throw .usage("--database is not postgres://USER@HOST[:PORT]/DATABASE[?sslmode=…&sslrootcert=…]: '\(FleetDatabaseURL.redacted(databaseURL))'")
        }
        var password: FleetPassword?
        if let passwordFile {
            guard let read = ConfigurationParse.fleetPassword(inFile: passwordFile) else {
                throw .usage("--database-password-file must name a readable file whose first line is a password of 1 to 1024 characters: '\(passwordFile)'")
            }
            password = read
        }
        var logger = Logger(label: "cinergy.report")
        logger.logLevel = .critical
        do {
            let report = try await FleetReport.report(url: url, password: password, hosts: hosts, period: period, by: grouping, logger: logger)
            return ReportDocument.text(report, format: format)
        } catch {
            throw .database("\(error)")
        }
    }

    /// [`from`, `to`) from the options' RFC 3339 times (by default the 24 hours to `nowUnixSeconds`).
    static func period(from: String?, to: String?, nowUnixSeconds: Double) throws(Failure) -> LedgerPeriod {
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
        return LedgerPeriod(fromUnixSeconds: fromSeconds, toUnixSeconds: toSeconds)
    }
}
