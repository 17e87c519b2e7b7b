import CinergySystem
public import Logging
import CinergyCore

/// Log records as JSON lines on standard error (`LOG_FORMAT=json`), for journald and log shippers:
/// `{"time":"…","level":"info","label":"cinergy","message":"…","metadata":{…}}`, one object a line,
/// keys in that order, metadata values as strings (nested lists and dictionaries as JSON).
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    /// Where each line goes; standard error unless a test collects them.
    let write: @Sendable (String) -> Void

    public init(label: String, write: @escaping @Sendable (String) -> Void = { SystemFile.writeStandardError($0) }) {
        self.label = label
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let own = event.metadata { merged.merge(own) { $1 } }
        write(Self.line(time: SystemClock.unixSeconds(), level: event.level, label: label, message: "\(event.message)", metadata: merged))
    }

    /// One record as a JSON line (with its newline).
    static func line(time: Double, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> String {
        var json = JSONWriter()
        json.object { json in
            json.field("time", RFC3339.format(unixSeconds: time))
            json.field("level", level.rawValue)
            json.field("label", label)
            json.field("message", message)
            json.key("metadata")
            json.object { json in
                for key in metadata.keys.sorted() {
                    json.key(key)
                    Self.write(metadata[key]!, to: &json)
                }
            }
        }
        return json.text + "\n"
    }

    private static func write(_ value: Logger.Metadata.Value, to json: inout JSONWriter) {
        switch value {
        case .string(let text): json.value(text)
        case .stringConvertible(let convertible): json.value(convertible.description)
        case .array(let values):
            json.array { json in
                for value in values { write(value, to: &json) }
            }
        case .dictionary(let values):
            json.object { json in
                for key in values.keys.sorted() {
                    json.key(key)
                    write(values[key]!, to: &json)
                }
            }
        }
    }
}
