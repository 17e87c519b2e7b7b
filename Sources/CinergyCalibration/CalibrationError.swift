import CinergyMeter

/// Why a calibration could not produce a model.
public enum CalibrationError: Error, CustomStringConvertible, Equatable {
    /// A CSV row or header that cannot be used: its line number (from 1), the value and why.
    case badCSV(line: Int, value: String, reason: String)
    /// Too few distinct load levels for a fit whose degree is chosen on held-out levels.
    case tooFewLevels(found: Int, needed: Int)
    /// The data cannot give a curve to trust (levels pressed together, a meter that does not move
    /// with load): why.
    case untrustworthy(String)
    /// A file that could not be read or written.
    case file(path: String, reason: String)
    /// The run was stopped by a signal; nothing was written.
    case interrupted(signal: Int32)
    /// The meter could not be found or read.
    case meter(MeterError)
    /// Anything else.
    case failed(String)

    public var description: String {
        switch self {
        case .badCSV(let line, let value, let reason):
            "line \(line): \"\(value)\": \(reason)"
        case .tooFewLevels(let found, let needed):
            "a fit needs at least \(needed) distinct load levels (the interior ones are held out in turn to choose the degree); "
                + "the data has \(found)"
        case .untrustworthy(let reason):
            "no trustworthy curve from these points, nothing written: \(reason)"
        case .file(let path, let reason):
            "\(path): \(reason)"
        case .interrupted(let signal):
            "stopped by signal \(signal); the load threads are stopped and nothing was written"
        case .meter(let error):
            error.description
        case .failed(let message):
            message
        }
    }
}
