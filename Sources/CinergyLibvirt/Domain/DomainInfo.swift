/// An active domain as listed by ``LibvirtConnection/activeDomains()``.
public struct DomainInfo: Sendable, Hashable {
    /// The domain's name (`virDomainGetName()`).
    public var name: String
    /// The domain's UUID, lowercase canonical form (`virDomainGetUUIDString()`).
    public var uuid: String
    /// The domain's ID (`virDomainGetID()`); active domains have one.
    public var id: Int32
    /// The run state (`virDomainGetState()`).
    public var state: DomainState
    /// The number of vCPUs the running domain has now, nil when libvirt would not say.
    public var vcpusCurrent: Int?

    /// Creates a description from its parts.
    public init(name: String, uuid: String, id: Int32, state: DomainState, vcpusCurrent: Int?) {
        self.name = name
        self.uuid = uuid
        self.id = id
        self.state = state
        self.vcpusCurrent = vcpusCurrent
    }
}
