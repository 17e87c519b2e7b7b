/// What the guest channel needs to know of a libvirt domain's live XML (`virDomainGetXMLDesc`):
/// its `<channel>` devices and whether it has a virtio-serial controller.
///
/// Read with the project's own ``XMLEventReader`` (no DTDs, no external entities). Only the
/// direct children of `<domain><devices>` count.
public struct DomainDevices: Sendable, Equatable {
    /// One `<channel>` element.
    public struct Channel: Sendable, Equatable {
        /// `<channel type=…>`: `unix` for a Unix socket on the host.
        public var type: String?
        /// `<source mode=…>`: `bind` when QEMU listens on the socket (the agent connects to it).
        public var sourceMode: String?
        /// `<source path=…>`: the socket; libvirt fills it in for a running domain when the
        /// definition left it out.
        public var sourcePath: String?
        /// `<target type=…>`: `virtio` for a virtio-serial port.
        public var targetType: String?
        /// `<target name=…>`: the port's name as the guest sees it.
        public var targetName: String?
        /// `<target state=…>`: `connected` while a guest process has the port open,
        /// `disconnected` otherwise; absent where libvirt does not track it.
        public var targetState: String?

        public init(
            type: String? = nil, sourceMode: String? = nil, sourcePath: String? = nil, targetType: String? = nil,
            targetName: String? = nil, targetState: String? = nil
        ) {
            self.type = type
            self.sourceMode = sourceMode
            self.sourcePath = sourcePath
            self.targetType = targetType
            self.targetName = targetName
            self.targetState = targetState
        }

        /// A Unix socket QEMU listens on, for a virtio-serial port: what the agent can connect to.
        public var isListeningVirtioSocket: Bool {
            type == "unix" && sourceMode == "bind" && targetType == "virtio" && !(sourcePath ?? "").isEmpty
        }
    }

    /// Every `<channel>` of the domain, in document order.
    public var channels: [Channel]
    /// Whether the domain has a `<controller type='virtio-serial'>`, which virtio channels plug into.
    public var hasVirtioSerialController: Bool

    public init(channels: [Channel], hasVirtioSerialController: Bool) {
        self.channels = channels
        self.hasVirtioSerialController = hasVirtioSerialController
    }

    /// Parses a domain's XML; nil when it is not well-formed or its root is not `<domain>`.
    public init?(domainXML: String) {
        guard let events = try? XMLEventReader.events(of: domainXML), case .start("domain", _, _) = events.first else {
            return nil
        }
        var channels: [Channel] = []
        var hasController = false
        var path: [String] = []
        var channel: Channel?
        for event in events {
            switch event {
            case .start(let name, _, let attributes):
                path.append(name)
                switch (path.count, name) {
                case (3, "channel") where path[1] == "devices":
                    channel = Channel(type: attributes["type"])
                case (3, "controller") where path[1] == "devices":
                    if attributes["type"] == "virtio-serial" { hasController = true }
                case (4, "source") where path[2] == "channel":
                    channel?.sourceMode = attributes["mode"]
                    channel?.sourcePath = attributes["path"]
                case (4, "target") where path[2] == "channel":
                    channel?.targetType = attributes["type"]
                    channel?.targetName = attributes["name"]
                    channel?.targetState = attributes["state"]
                default:
                    break
                }
            case .text:
                break
            case .end:
                if path.count == 3, path[1] == "devices", let finished = channel {
                    channels.append(finished)
                    channel = nil
                }
                path.removeLast()
            }
        }
        self.init(channels: channels, hasVirtioSerialController: hasController)
    }

    /// The channel whose virtio-serial port is named `name`, whatever its type.
    public func channel(named name: String) -> Channel? {
        channels.first { $0.targetType == "virtio" && $0.targetName == name }
    }
}
