/// The state of one VM source, as `/health` shows it.
public struct SourceStatus: Sendable, Equatable {
    /// True while the source works (for libvirt: connected).
    public var available: Bool
    /// Last time the source reported anything, in seconds since the Unix epoch.
    public var lastUpdateUnixSeconds: Double?
    /// Free text: the URI, the last error.
    public var detail: String?

    public init(available: Bool, lastUpdateUnixSeconds: Double? = nil, detail: String? = nil) {
        self.available = available
        self.lastUpdateUnixSeconds = lastUpdateUnixSeconds
        self.detail = detail
    }
}
