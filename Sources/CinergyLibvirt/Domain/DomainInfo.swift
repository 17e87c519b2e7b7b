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
    /// OpenStack Nova's `<nova:instance>` element from the domain's `<metadata>`, when present.
    public var novaInstanceXML: String?

    /// Creates a description from its parts.
    public init(name: String, uuid: String, id: Int32, state: DomainState, vcpusCurrent: Int?, novaInstanceXML: String? = nil) {
        self.name = name
        self.uuid = uuid
        self.id = id
        self.state = state
        self.vcpusCurrent = vcpusCurrent
        self.novaInstanceXML = novaInstanceXML
    }
}
