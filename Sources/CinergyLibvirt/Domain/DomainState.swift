import CLibvirt

/// A domain's run state, from `virDomainGetState()` (`virDomainState`).
public enum DomainState: Sendable, Hashable {
    /// `VIR_DOMAIN_RUNNING`.
    case running
    /// `VIR_DOMAIN_PAUSED`.
    case paused
    /// Any other `virDomainState` (blocked, shutting down, shut off, crashed, pmsuspended...),
    /// with its raw value.
    case other(Int32)

    /// Maps a raw `virDomainState` value.
    public init(rawValue: Int32) {
        switch UInt32(bitPattern: rawValue) {
        case VIR_DOMAIN_RUNNING.rawValue: self = .running
        case VIR_DOMAIN_PAUSED.rawValue: self = .paused
        default: self = .other(rawValue)
        }
    }
}
