import ArgumentParser
import CinergyAgent
import CinergyLedger

/// `cinergy report`: the ledger's report over a period, from its file, read only; or the fleet's,
/// from the central database the agents replicate to (`--database`).
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Print the ledger's report over a period (what GET /report serves), from its file.",
        discussion: """
            Opens STATE_DIRECTORY/ledger.sqlite read-only: no lock is taken and nothing is \
            written, so it works while an agent runs (it reads the last flush) and after the agent \
            is gone (a host being decommissioned, a monthly cron job). The output is the same \
            document as GET /report with the same from, to, by and format: JSON (energy in J and \
            kWh, carbon in g CO2eq, time in s and h, mean power in W), or CSV with a header line.

            With --database, the same document for the fleet, from the central PostgreSQL the \
            agents replicate to (FLEET_DATABASE_URL, docs/FLEET.md): every host, or those named \
            by --host (their FLEET_HOST_IDENTITY); a VM that moved between hosts (one UUID) is one \
            row, the sum of its hosts' intervals.
            """
    )

    @Option(help: ArgumentHelp("Start of the period, RFC 3339 (default: 24 hours before --to).", valueName: "time"))
    var from: String?

    @Option(help: ArgumentHelp("End of the period, RFC 3339 (default: now).", valueName: "time"))
    var to: String?

    /// `--by`: what one line of the report is.
    enum Grouping: String, ExpressibleByArgument, CaseIterable {
        case vm, project
        var grouping: ReportGrouping { self == .vm ? .vm : .project }
    }

    /// `--format`.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case json, csv
        var format: ReportFormat { self == .json ? .json : .csv }
    }

    @Option(help: "One line per VM, or per Nova project.")
    var by: Grouping = .vm

    @Option(help: "json, or csv (the rows, with a header line).")
    var format: Format = .json

    @Option(
        name: .customLong("state-directory"),
        help: ArgumentHelp("The agent's STATE_DIRECTORY, holding ledger.sqlite (default: \(OfflineReport.defaultStateDirectory)).", valueName: "dir")
    )
    var stateDirectory: String?

    @Option(
        name: .customLong("database"),
        help: ArgumentHelp(
            "The fleet's central PostgreSQL, as FLEET_DATABASE_URL: postgres://USER@HOST[:PORT]/DATABASE[?sslmode=…&sslrootcert=…].",
            valueName: "url"
        )
    )
    var database: String?

    @Option(
        name: .customLong("database-password-file"),
        help: ArgumentHelp("File whose first line is the database user's password, as FLEET_DATABASE_PASSWORD_FILE.", valueName: "file")
    )
    var databasePasswordFile: String?

    @Option(
        name: .customLong("host"),
        help: ArgumentHelp("With --database: only this host's rows (its FLEET_HOST_IDENTITY); repeatable (default: every host).", valueName: "name")
    )
    var hosts: [String] = []

    func validate() throws {
        if database == nil {
            if !hosts.isEmpty { throw ValidationError("--host needs --database") }
            if databasePasswordFile != nil { throw ValidationError("--database-password-file needs --database") }
        } else if stateDirectory != nil {
            throw ValidationError("--state-directory and --database exclude each other: one host's file, or the fleet's database")
        }
    }

    func run() async throws {
        let text: String
        do {
            if let database {
                text = try await OfflineReport.fleetText(
                    databaseURL: database, passwordFile: databasePasswordFile, hosts: hosts, from: from, to: to, by: by.grouping,
                    format: format.format
                )
            } else {
                text = try OfflineReport.text(
                    stateDirectory: stateDirectory ?? OfflineReport.defaultStateDirectory, from: from, to: to, by: by.grouping,
                    format: format.format
                )
            }
        } catch .usage(let message) {
            throw ValidationError(message)
        } catch {
            StandardError.write("cinergy report: \(error)\n")
            throw ExitCode(1)
        }
        print(text, terminator: format == .json ? "\n" : "")
    }
}
