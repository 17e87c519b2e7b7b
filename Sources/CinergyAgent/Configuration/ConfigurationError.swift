/// A configuration problem, worded for the operator: which variable or file, what was given,
/// and what is expected.
public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
    /// A variable whose value breaks its rule.
    case invalid(variable: String, value: String, rule: String)
    /// A required variable that is not set anywhere.
    case missing(variable: String, rule: String)
    /// An env file that cannot be read.
    case unreadableFile(path: String, reason: String)
    /// Variables of which at most one may be set, all set.
    case exclusive(variables: [String])

    /// The variable the problem is about; nil for a file.
    public var variable: String? {
        switch self {
        case .invalid(let variable, _, _), .missing(let variable, _): variable
        case .exclusive(let variables): variables.first
        case .unreadableFile: nil
        }
    }

    public var description: String {
        switch self {
        case .invalid(let variable, let value, let rule):
            "\(variable)='\(value)': \(rule)"
        case .missing(let variable, let rule):
            rule.hasPrefix("must be set") ? "\(variable) is not set: it \(rule)" : "\(variable) is not set: it is required and \(rule)"
        case .unreadableFile(let path, let reason):
            "env file '\(path)': \(reason)"
        case .exclusive(let variables):
            "\(variables.joined(separator: " and ")) are all set: set exactly one of them"
        }
    }
}

/// All the configuration problems found at once, so the operator can fix them in one go.
public struct ConfigurationErrors: Error, Equatable, CustomStringConvertible {
    public var errors: [ConfigurationError]

    public init(_ errors: [ConfigurationError]) {
        self.errors = errors
    }

    public var description: String {
        errors.map(\.description).joined(separator: "\n")
    }
}
