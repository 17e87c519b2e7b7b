public import CinergyCore
import CinergyFleet
import Configuration

extension AgentConfiguration {
    /// Where values came from, highest precedence first.
    public struct Sources: Sendable {
        /// Values given on the command line, by variable name.
        public var overrides: [String: String]
        /// The process environment; nil reads the real one.
        public var environment: [String: String]?
        /// The env file to read.
        public var envFilePath: String
        /// True when the path was chosen by the user: then a missing file is an error.
        public var envFileRequired: Bool

        public init(overrides: [String: String] = [:], environment: [String: String]? = nil, envFilePath: String = ".env", envFileRequired: Bool = false) {
            self.overrides = overrides
            self.environment = environment
            self.envFilePath = envFilePath
            self.envFileRequired = envFileRequired
        }
    }

    /// Loads the configuration: command-line values override the environment, which overrides
    /// the env file (read once), which overrides the defaults. Every problem is reported, not just the first.
    /// - Returns: the configuration, and warnings (such as unknown variables in the env file).
    public static func load(from sources: Sources, onlineCPUs: Int = HostCPUs.onlineCount()) async throws(ConfigurationErrors) -> (AgentConfiguration, warnings: [String]) {
        var fileVariables: [(name: String, value: String)] = []
        switch EnvFile.read(sources.envFilePath, required: sources.envFileRequired) {
        case .failure(let error):
            throw ConfigurationErrors([error])
        case .success(let contents):
            fileVariables = contents.map(EnvFile.parse) ?? []
        }
        let warnings = fileVariables.filter { ConfigurationVariable.named($0.name) == nil }.map {
            "env file '\(sources.envFilePath)' sets \($0.name), which is not a Cinergy variable (a typo?); it is ignored"
        }
        let overrides = InMemoryProvider(
            name: "command line",
            values: Dictionary(uniqueKeysWithValues: sources.overrides.map { (AbsoluteConfigKey([$0.key]), ConfigValue(.string($0.value), isSecret: false)) })
        )
        let environment = sources.environment.map { EnvironmentVariablesProvider(environmentVariables: $0) } ?? EnvironmentVariablesProvider()
        let file = EnvironmentVariablesProvider(
            environmentVariables: Dictionary(fileVariables, uniquingKeysWith: { _, last in last })
        )
        let reader = ConfigReader(providers: [overrides, environment, file])
        let configuration = try validate(onlineCPUs: onlineCPUs) { name in
            reader.string(forKey: ConfigKey([name]))
        }
        return (configuration, warnings + configuration.modelWarnings)
    }

    /// What is wrong with the power model inside its fitted range, over the inputs a VM can reach,
    /// by the shape rule `cinergy calibrate` checks its fits with (`PowerCurve.shapeProblems`).
    var modelWarnings: [String] {
        let model = powerModel
        let range = modelInputMax.map { "its fitted range (MODEL_INPUT_MAX=\(Self.format($0)))" } ?? "the inputs a VM can reach"
        return model.curve.problems(reach: model.inputReach).map { problem in
            switch problem {
            case .negative(let x):
                "REG_COEFF: f is negative from \(modelInput.rawValue) \(Self.format(x)) on, inside \(range); dynamic power is served as 0 W where f(x) < f(0)"
            case .decreasing(let x):
                "REG_COEFF: f decreases from \(modelInput.rawValue) \(Self.format(x)) on, inside \(range): more load would read as less power (refit with `cinergy calibrate`, or set MODEL_INPUT_MAX to the range it was fitted on)"
            case .flat(let watts):
                "REG_COEFF: f does not rise inside \(range) (f(0) = \(Self.format(watts)) W): every VM's dynamic power is 0 W (refit with `cinergy calibrate`)"
            }
        }
    }

    /// A number as the warnings show it: at most 2 decimals, no trailing zeros.
    static func format(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    /// Builds a configuration from raw values (`value(NAME)`), parsing each variable of the table
    /// by its rule, then checking the rules that involve several variables.
    public static func validate(onlineCPUs: Int, value: (String) -> String?) throws(ConfigurationErrors) -> AgentConfiguration {
        var errors: [ConfigurationError] = []
        var configuration = AgentConfiguration()
        let context = ConfigurationVariable.ParseContext(onlineCPUs: onlineCPUs)
        for variable in ConfigurationVariable.all {
            let text: String
            if let given = value(variable.name) {
                text = ConfigurationParse.unquoted(given.trimmingWhitespace())
            } else {
                switch variable.defaultValue {
                case .required:
                    errors.append(.missing(variable: variable.name, rule: variable.rule))
                    continue
                case .requiredUnlessSet(let other):
                    if value(other) == nil { errors.append(.missing(variable: variable.name, rule: "must be set unless \(other) is")) }
                    continue
                case .value(let defaultText):
                    text = defaultText
                case .computed(_, let defaultText):
                    text = defaultText(context)
                case .unset:
                    continue
                }
            }
            if !variable.assign(text, context, &configuration) {
                // A password written into the fleet's URL is not echoed (the error goes to the log).
                let shown = variable.name == ConfigurationVariable.fleetDatabaseURL.name ? FleetDatabaseURL.redacted(text) : text
                errors.append(.invalid(variable: variable.name, value: shown, rule: variable.rule))
            }
        }
        // A variable whose own value was refused is not reported again by a check of several.
        let refused = Set(errors.compactMap(\.variable))
        errors += ConfigurationVariable.crossChecks.compactMap { $0(configuration) }.filter { error in error.variable.map { !refused.contains($0) } ?? true }
        guard errors.isEmpty else { throw ConfigurationErrors(errors) }
        return configuration
    }
}
