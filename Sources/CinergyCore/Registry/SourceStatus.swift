/// The state of one VM source, as `/health` shows it.
public struct SourceStatus: Sendable, Equatable {
    /// True while the source works (for libvirt: connected).
    public var available: Bool
    /// Last time the source reported anything, in seconds since the Unix epoch.
    public var lastUpdateUnixSeconds: Double?
    /// What the source reads: the procfs root, the libvirt URI.
    public var detail: String?
    /// Why the source is not available, when it is not.
    public var lastError: String?

    public init(available: Bool, lastUpdateUnixSeconds: Double? = nil, detail: String? = nil, lastError: String? = nil) {
        self.available = available
        self.lastUpdateUnixSeconds = lastUpdateUnixSeconds
        self.detail = detail
        self.lastError = lastError
    }
}
