import CLibvirt

/// A domain lifecycle event, copied out of libvirt's callback (`virConnectDomainEventCallback`).
public struct DomainEvent: Sendable, Hashable, CustomStringConvertible {
    /// The domain's name when the event was raised (on a rename: the old name with
    /// `undefined`, the new name with `defined`).
    public var name: String
    /// The domain's UUID, lowercase canonical form (`8-4-4-4-12` hexadecimal digits).
    public var uuid: String
    /// The domain's ID while it runs, -1 when it is inactive.
    public var id: Int32
    /// What happened.
    public var kind: DomainEventKind
    /// The raw detail, a value of the `virDomainEvent*DetailType` enum matching ``kind``
    /// (for example `VIR_DOMAIN_EVENT_STOPPED_DESTROYED`).
    public var detail: Int32

    /// Creates an event from its parts.
    public init(name: String, uuid: String, id: Int32, kind: DomainEventKind, detail: Int32) {
        self.name = name
        self.uuid = uuid
        self.id = id
        self.kind = kind
        self.detail = detail
    }

    /// True for either half of a rename: `VIR_DOMAIN_EVENT_UNDEFINED_RENAMED` (old name) or
    /// `VIR_DOMAIN_EVENT_DEFINED_RENAMED` (new name). libvirt sends them in pairs.
    public var isRename: Bool {
        switch kind {
        case .defined: detail == Int32(VIR_DOMAIN_EVENT_DEFINED_RENAMED.rawValue)
        case .undefined: detail == Int32(VIR_DOMAIN_EVENT_UNDEFINED_RENAMED.rawValue)
        default: false
        }
    }

    /// `kind(detail) name uuid id`.
    public var description: String {
        "\(kind)(\(detail)) \(name) \(uuid) id=\(id)"
    }
}
