import ArgumentParser
import CinergyAgent
import CinergyLedger

/// `cinergy report`: the ledger's report over a period, from its file, read only.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Print the ledger's report over a period (what GET /report serves), from its file.",
        discussion: """
            Opens STATE_DIRECTORY/ledger.sqlite read-only: no lock is taken and nothing is \
            written, so it works while an agent runs (it reads the last flush) and after the agent \
            is gone (a host being decommissioned, a monthly cron job). The output is the same \
            document as GET /report with the same from, to, by and format: JSON (energy in J and \
            kWh, carbon in g CO2eq, time in s and h, mean power in W), or CSV with a header line.
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
        help: ArgumentHelp("The agent's STATE_DIRECTORY, holding ledger.sqlite.", valueName: "dir")
    )
    var stateDirectory: String = OfflineReport.defaultStateDirectory

    func run() throws {
        let text: String
        do {
            text = try OfflineReport.text(stateDirectory: stateDirectory, from: from, to: to, by: by.grouping, format: format.format)
        } catch .usage(let message) {
            throw ValidationError(message)
        } catch {
            StandardError.write("cinergy report: \(error)\n")
            throw ExitCode(1)
        }
        print(text, terminator: format == .json ? "\n" : "")
    }
}
