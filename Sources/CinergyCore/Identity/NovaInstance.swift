import Foundation

#if canImport(FoundationXML)
import FoundationXML
#endif

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
    public init?(xml: String) {
        let reader = Reader()
        let parser = XMLParser(data: Data(xml.utf8))
        parser.shouldProcessNamespaces = true
        parser.delegate = reader
        guard parser.parse(), reader.sawInstance else { return nil }
        self = reader.instance
    }

    /// A SAX reader of the few elements we need. The root must be an `instance` element in a Nova
    /// namespace (any version) or in none (as `virDomainGetMetadata` returns it); below it, local
    /// names are matched.
    private final class Reader: NSObject, XMLParserDelegate {
        var instance = NovaInstance()
        /// True once a Nova `<instance>` element was opened and closed.
        var sawInstance = false
        private var sawStart = false
        private var path: [String] = []
        private var text = ""

        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            path.append(elementName)
            text = ""
            switch (path.count, elementName) {
            case (1, "instance"):
                // libvirt hands the element back without its namespace; as Nova writes it, it has one.
                let namespace = namespaceURI ?? ""
                sawStart = namespace.isEmpty || namespace.hasPrefix("http://openstack.org/xmlns/libvirt/nova/")
            case (_, "flavor"): instance.flavorName = attributes["name"]
            case (_, "user") where path.dropLast().last == "owner": instance.userID = attributes["uuid"]
            case (_, "project") where path.dropLast().last == "owner": instance.projectID = attributes["uuid"]
            default: break
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            text += string
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
            let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
            let parent = path.dropLast().last
            switch elementName {
            case "name" where parent == "instance": instance.displayName = value.isEmpty ? nil : value
            case "user" where parent == "owner": instance.userName = value.isEmpty ? nil : value
            case "project" where parent == "owner": instance.projectName = value.isEmpty ? nil : value
            default: break
            }
            if path.count == 1, elementName == "instance", sawStart { sawInstance = true }
            text = ""
            path.removeLast()
        }
    }
}
