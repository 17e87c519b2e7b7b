import CLibvirt

/// What happened to a domain, from a `VIR_DOMAIN_EVENT_ID_LIFECYCLE` event (`virDomainEventType`).
public enum DomainEventKind: Sendable, Hashable, CustomStringConvertible {
    /// `VIR_DOMAIN_EVENT_DEFINED` (0): a persistent configuration was added or changed.
    case defined
    /// `VIR_DOMAIN_EVENT_UNDEFINED` (1): the persistent configuration was removed.
    case undefined
    /// `VIR_DOMAIN_EVENT_STARTED` (2).
    case started
    /// `VIR_DOMAIN_EVENT_SUSPENDED` (3): paused.
    case suspended
    /// `VIR_DOMAIN_EVENT_RESUMED` (4): unpaused.
    case resumed
    /// `VIR_DOMAIN_EVENT_STOPPED` (5): no longer running (destroyed, shut down, crashed...).
    case stopped
    /// `VIR_DOMAIN_EVENT_SHUTDOWN` (6): the guest shut down; a `stopped` event usually follows.
    case shutdown
    /// `VIR_DOMAIN_EVENT_PMSUSPENDED` (7): suspended by guest power management.
    case pmsuspended
    /// `VIR_DOMAIN_EVENT_CRASHED` (8).
    case crashed
    /// A type this libvirt layer does not know, with its raw value.
    case unknown(Int32)

    /// Maps a raw `virDomainEventType` value.
    public init(rawValue: Int32) {
        switch UInt32(bitPattern: rawValue) {
        case VIR_DOMAIN_EVENT_DEFINED.rawValue: self = .defined
        case VIR_DOMAIN_EVENT_UNDEFINED.rawValue: self = .undefined
        case VIR_DOMAIN_EVENT_STARTED.rawValue: self = .started
        case VIR_DOMAIN_EVENT_SUSPENDED.rawValue: self = .suspended
        case VIR_DOMAIN_EVENT_RESUMED.rawValue: self = .resumed
        case VIR_DOMAIN_EVENT_STOPPED.rawValue: self = .stopped
        case VIR_DOMAIN_EVENT_SHUTDOWN.rawValue: self = .shutdown
        case VIR_DOMAIN_EVENT_PMSUSPENDED.rawValue: self = .pmsuspended
        case VIR_DOMAIN_EVENT_CRASHED.rawValue: self = .crashed
        default: self = .unknown(rawValue)
        }
    }

    /// The raw `virDomainEventType` value.
    public var rawValue: Int32 {
        switch self {
        case .defined: Int32(VIR_DOMAIN_EVENT_DEFINED.rawValue)
        case .undefined: Int32(VIR_DOMAIN_EVENT_UNDEFINED.rawValue)
        case .started: Int32(VIR_DOMAIN_EVENT_STARTED.rawValue)
        case .suspended: Int32(VIR_DOMAIN_EVENT_SUSPENDED.rawValue)
        case .resumed: Int32(VIR_DOMAIN_EVENT_RESUMED.rawValue)
        case .stopped: Int32(VIR_DOMAIN_EVENT_STOPPED.rawValue)
        case .shutdown: Int32(VIR_DOMAIN_EVENT_SHUTDOWN.rawValue)
        case .pmsuspended: Int32(VIR_DOMAIN_EVENT_PMSUSPENDED.rawValue)
        case .crashed: Int32(VIR_DOMAIN_EVENT_CRASHED.rawValue)
        case .unknown(let value): value
        }
    }

    /// The lowercase name, or `unknown(N)`.
    public var description: String {
        switch self {
        case .defined: "defined"
        case .undefined: "undefined"
        case .started: "started"
        case .suspended: "suspended"
        case .resumed: "resumed"
        case .stopped: "stopped"
        case .shutdown: "shutdown"
        case .pmsuspended: "pmsuspended"
        case .crashed: "crashed"
        case .unknown(let value): "unknown(\(value))"
        }
    }
}
