/// Why a power meter could not be found, opened or read.
public enum MeterError: Error, CustomStringConvertible, Equatable {
    /// No meter of the kinds asked for exists; `lookedFor` lists what was looked for.
    case notFound(lookedFor: [String])
    /// Reading `path` was refused.
    case permissionDenied(path: String, hint: String)
    /// `path` could not be read or does not hold a number.
    case unreadable(path: String, reason: String)
    /// A counter that does not move over `seconds`.
    case counterStuck(meter: String, seconds: Double)
    /// A reading that cannot be real (a counter that jumped, a negative or absurd power).
    case implausible(meter: String, detail: String)
    /// A command (ipmitool) that failed, timed out or printed no reading.
    case commandFailed(command: String, detail: String)

    public var description: String {
        switch self {
        case .notFound(let lookedFor):
            "no power meter found; looked for: " + lookedFor.joined(separator: "; ")
        case .permissionDenied(let path, let hint):
            "permission denied reading \(path)" + (hint.isEmpty ? "" : ": \(hint)")
        case .unreadable(let path, let reason):
            "cannot read \(path): \(reason)"
        case .counterStuck(let meter, let seconds):
            "the counter of \(meter) did not move in \(Self.format(seconds)) s: it is not measuring"
        case .implausible(let meter, let detail):
            "implausible reading from \(meter): \(detail)"
        case .commandFailed(let command, let detail):
            "`\(command)` failed: \(detail)"
        }
    }

    static func format(_ value: Double) -> String {
        let tenths = (value * 10).rounded() / 10
        return tenths == tenths.rounded() ? String(Int(tenths)) : String(tenths)
    }
}
