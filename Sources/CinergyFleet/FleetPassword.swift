/// The central database's password: its text never shows in a description, a log or `/health`.
public struct FleetPassword: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    let text: String

    public init(_ text: String) {
        self.text = text
    }

    public var description: String { "<password>" }
    public var debugDescription: String { "<password>" }
}
