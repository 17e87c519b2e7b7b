/// The API's bearer token. Never printed: its description is redacted, so that logging a
/// configuration cannot leak it.
public struct BearerToken: Sendable, Equatable, CustomStringConvertible {
    let bytes: [UInt8]

    public init(_ token: String) {
        bytes = Array(token.utf8)
    }

    public var description: String { "<redacted>" }

    /// Compares `candidate` with the token in time that depends only on the candidate's length,
    /// never on where the first differing byte is.
    public func matches(_ candidate: some Collection<UInt8>) -> Bool {
        var difference = UInt8(truncatingIfNeeded: bytes.count ^ candidate.count)
        var index = 0
        for byte in candidate {
            difference |= byte ^ (index < bytes.count ? bytes[index] : 0)
            index += 1
        }
        return difference == 0 && candidate.count == bytes.count
    }
}
