/// What OpenStack Nova records about an instance in its libvirt domain's `<metadata>`
/// (`<nova:instance>`): the names operators know it by. The domain UUID is Nova's instance id.
public struct NovaInstance: Sendable, Equatable {
    /// The instance's display name (`<nova:name>`).
    public var displayName: String?
    public var projectID: String?
    public var projectName: String?
    public var userID: String?
    public var userName: String?
    public var flavorName: String?

    public init(
        displayName: String? = nil, projectID: String? = nil, projectName: String? = nil, userID: String? = nil,
        userName: String? = nil, flavorName: String? = nil
    ) {
        self.displayName = displayName
        self.projectID = projectID
        self.projectName = projectName
        self.userID = userID
        self.userName = userName
        self.flavorName = flavorName
    }

    /// Parses a `<nova:instance>` element (any namespace prefix); nil when the XML is not one.
    ///
    /// The root must be an `instance` element in a Nova namespace (any version) or in none (as
    /// `virDomainGetMetadata` returns it); below it, local names are matched.
    public init?(xml: String) {
        guard let events = try? XMLEventReader.events(of: xml),
            case .start("instance", let namespace, _) = events.first,
            namespace.map({ $0.hasPrefix("http://openstack.org/xmlns/libvirt/nova/") }) ?? true
        else { return nil }
        var instance = NovaInstance()
        var path: [String] = []
        var text = ""
        for event in events {
            switch event {
            case .start(let name, _, let attributes):
                let parent = path.last
                path.append(name)
                text = ""
                switch name {
                case "flavor": instance.flavorName = attributes["name"]
                case "user" where parent == "owner": instance.userID = attributes["uuid"]
                case "project" where parent == "owner": instance.projectID = attributes["uuid"]
                default: break
                }
            case .text(let piece):
                text += piece
            case .end(let name):
                path.removeLast()
                let value = text.trimmingWhitespace()
                switch name {
                case "name" where path.last == "instance": instance.displayName = value.isEmpty ? nil : value
                case "user" where path.last == "owner": instance.userName = value.isEmpty ? nil : value
                case "project" where path.last == "owner": instance.projectName = value.isEmpty ? nil : value
                default: break
                }
                text = ""
            }
        }
        self = instance
    }

}
