/// One variable of the agent's configuration: its name in `.env` and the environment, what it
/// means, its unit and rule, its default, and the parser that turns its text into the typed value
/// of an `AgentConfiguration` field.
///
/// `ConfigurationVariable.all` (ConfigurationVariables.swift) is the one table of them: it drives
/// loading and validation, `cinergy --help`, the command-line options, the warning for unknown
/// names in an env file, and the README's configuration table (`cinergy variables --markdown`).
public struct ConfigurationVariable: Sendable {
    /// What a variable that is not set anywhere takes.
    public enum Default: Sendable {
        /// No default: start-up stops when it is not set.
        case required
        /// No default unless the variable named is set (one of the two is required).
        case requiredUnlessSet(String)
        /// This text, parsed like a value that was set (so a default is written once, as text).
        case value(String)
        /// A value worked out on this host; `description` says how.
        case computed(description: String, text: @Sendable (ParseContext) -> String)
        /// The field stays unset (a feature that is off); `description` says what that means.
        case unset(description: String)
    }

    /// What parsers may depend on besides the text.
    public struct ParseContext: Sendable {
        /// The host's online CPU count.
        public var onlineCPUs: Int

        public init(onlineCPUs: Int) {
            self.onlineCPUs = onlineCPUs
        }
    }

    /// The name in `.env` files and the environment, such as `REG_COEFF`.
    public let name: String
    /// What the value means (Markdown: backticks mark names and literals).
    public let summary: String
    /// The unit of the value, such as `W` or `seconds`; nil when it has none.
    public let unit: String?
    /// The rule a value must follow, as error messages state it ("must be …").
    public let rule: String
    /// What the variable takes when it is not set.
    public let defaultValue: Default
    /// Parses `text` (trimmed, unquoted) into its field of `configuration`; false when it breaks the rule.
    let assign: @Sendable (_ text: String, _ context: ParseContext, _ configuration: inout AgentConfiguration) -> Bool

    /// A variable whose parsed value goes to `field`.
    init<Value>(
        _ name: String,
        _ field: any WritableKeyPath<AgentConfiguration, Value> & Sendable,
        summary: String,
        unit: String? = nil,
        rule: String,
        default defaultValue: Default,
        parse: @escaping @Sendable (String, ParseContext) -> Value?
    ) {
        self.name = name
        self.summary = summary
        self.unit = unit
        self.rule = rule
        self.defaultValue = defaultValue
        self.assign = { text, context, configuration in
            guard let value = parse(text, context) else { return false }
            configuration[keyPath: field] = value
            return true
        }
    }

    /// The command-line option, such as `--reg-coeff`.
    public var option: String {
        "--" + String(name.lowercased().map { $0 == "_" ? "-" : $0 })
    }

    /// The default as users read it: the literal value, `required`, or what it means.
    public var defaultDescription: String {
        switch defaultValue {
        case .required: "required"
        case .requiredUnlessSet(let other): "required unless \(other) is set"
        case .value(let text): text
        case .computed(let description, _), .unset(let description): description
        }
    }

    /// The rule without its leading "must be " or "must " (for tables, where the column says it).
    var shortRule: String {
        for prefix in ["must be ", "must "] where rule.hasPrefix(prefix) { return String(rule.dropFirst(prefix.count)) }
        return rule
    }
}

extension ConfigurationVariable {
    /// The variable named `name`, if there is one.
    public static func named(_ name: String) -> ConfigurationVariable? {
        all.first { $0.name == name }
    }

    /// The variable whose command-line option is `option` (`--reg-coeff`), if there is one.
    public static func withOption(_ option: String) -> ConfigurationVariable? {
        all.first { $0.option == option }
    }

    /// Every variable as the README's configuration table (Markdown).
    public static func markdownTable() -> String {
        var lines = ["| Variable | Meaning | Unit / rule | Default |", "|---|---|---|---|"]
        for variable in all {
            let unitAndRule = [variable.unit, variable.shortRule].compactMap { $0 }.joined(separator: "; ")
            let defaultText: String =
                switch variable.defaultValue {
                case .value(let text): "`\(text)`"
                default: variable.defaultDescription
                }
            lines.append("| `\(variable.name)` | \(variable.summary) | \(unitAndRule) | \(defaultText) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Every variable as `cinergy --help` lists it: name and option, then meaning, unit, rule and
    /// default, wrapped to `width` columns (the help does not wrap lines that fit).
    public static func helpText(width: Int = 78) -> String {
        all.map { variable in
            let unit = variable.unit.map { " (\($0))" } ?? ""
            let text = "\(plain(variable.summary))\(unit); \(variable.rule); default: \(plain(variable.defaultDescription))."
            return (["\(variable.name), \(variable.option) <value>"] + wrapped(text, width: width - 4).map { "    " + $0 })
                .joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// `text` broken at spaces into lines of at most `width` characters (a longer word stands alone).
    static func wrapped(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty, line.count + 1 + word.count > width {
                lines.append(line)
                line = ""
            }
            line += line.isEmpty ? String(word) : " " + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }

    /// Markdown's backticks removed, for plain-text output.
    static func plain(_ markdown: String) -> String {
        String(markdown.filter { $0 != "`" })
    }
}
