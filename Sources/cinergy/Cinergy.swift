import ArgumentParser
import CinergyAgent
import CinergyCore
import CinergySystem

/// `cinergy`: serves the isolated power and carbon of this host's QEMU/KVM VMs over HTTP (the
/// `serve` subcommand, run when no other is named).
@main
struct Cinergy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cinergy",
        abstract: "Serve the isolated power and carbon emissions of this host's QEMU/KVM VMs over HTTP.",
        discussion: Serve.discussion,
        version: cinergyVersion,
        subcommands: [Serve.self, CalibrateCommand.self, ReportCommand.self, Variables.self],
        defaultSubcommand: Serve.self
    )
}

/// `cinergy [serve]`: runs the agent until SIGTERM or SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the agent (what plain `cinergy` does).",
        discussion: discussion
    )

    static let discussion = """
        Configuration comes from an env file (.env in the working directory unless --env-file \
        names another), overridden by the process environment, overridden by options on the \
        command line: each variable NAME is also an option --name (REG_COEFF is --reg-coeff), \
        given as --name value or --name=value. An invalid value stops start-up with exit status \
        78, naming the variable, the value and the rule. `cinergy variables --markdown` prints \
        this list as a table.

        Variables:

        \(ConfigurationVariable.helpText())
        """

    @Option(name: .customLong("env-file"), help: ArgumentHelp("The env file to read (default: .env, optional).", valueName: "path"))
    var envFile: String?

    @Argument(
        parsing: .allUnrecognized,
        help: ArgumentHelp("Variables to set, as --name value or --name=value (listed below).", valueName: "--name value")
    )
    var settings: [String] = []

    func run() async throws {
        let overrides = try Self.overrides(settings)
        let loaded: (AgentConfiguration, warnings: [String])
        do {
            loaded = try await AgentConfiguration.load(
                from: .init(overrides: overrides, envFilePath: envFile ?? ".env", envFileRequired: envFile != nil)
            )
        } catch {
            for problem in error.errors {
                StandardError.write("cinergy: configuration error: \(problem)\n")
            }
            throw ExitCode(78)
        }
        try await Agent.run(configuration: loaded.0, warnings: loaded.warnings)
    }

    /// The variables set on the command line, by name: each `--name value` or `--name=value`
    /// names a variable of the table.
    static func overrides(_ arguments: [String]) throws(ValidationError) -> [String: String] {
        var overrides: [String: String] = [:]
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            index += 1
            let option: String
            let value: String
            if let equals = argument.firstIndex(of: "="), argument.hasPrefix("--") {
                option = String(argument[..<equals])
                value = String(argument[argument.index(after: equals)...])
            } else {
                option = argument
                guard index < arguments.endIndex else {
                    throw ValidationError(Self.isOption(option) ? "Missing value for '\(option)'" : "Unexpected argument '\(option)'")
                }
                value = arguments[index]
                index += 1
            }
            guard Self.isOption(option), let variable = ConfigurationVariable.withOption(option) else {
                throw ValidationError(
                    Self.isOption(option) ? "Unknown option '\(option)' (cinergy --help lists the variables)" : "Unexpected argument '\(option)'"
                )
            }
            overrides[variable.name] = value
        }
        return overrides
    }

    private static func isOption(_ argument: String) -> Bool {
        argument.hasPrefix("-")
    }
}

/// `cinergy variables`: the configuration variables, for people and for the README.
struct Variables: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the configuration variables with their meaning, unit, rule and default."
    )

    @Flag(help: "Print the README's Markdown table instead.")
    var markdown = false

    func run() {
        print(markdown ? ConfigurationVariable.markdownTable() : ConfigurationVariable.helpText(), terminator: markdown ? "" : "\n")
    }
}

/// Writes to standard error, all of it (the agent's logger is not set up yet).
enum StandardError {
    static func write(_ text: String) {
        SystemFile.writeStandardError(text)
    }
}
