import CLibvirt

extension LibvirtConnection {
    /// What a connection reports on ``LibvirtConnection/notifications``.
    public enum Notification: Sendable, Hashable {
        /// A domain lifecycle event (`VIR_DOMAIN_EVENT_ID_LIFECYCLE`).
        case event(DomainEvent)
        /// libvirt closed the connection (`virConnectRegisterCloseCallback()`); the stream ends
        /// after this. Open a new connection and list domains again: events were lost meanwhile.
        case closed(CloseReason)
    }

    /// Why libvirt closed a connection (`virConnectCloseReason`).
    public enum CloseReason: Sendable, Hashable {
        /// `VIR_CONNECT_CLOSE_REASON_ERROR`: an I/O error.
        case error
        /// `VIR_CONNECT_CLOSE_REASON_EOF`: the daemon closed the socket (for example it restarted).
        case endOfFile
        /// `VIR_CONNECT_CLOSE_REASON_KEEPALIVE`: the daemon stopped answering keepalives.
        case keepalive
        /// `VIR_CONNECT_CLOSE_REASON_CLIENT`: this process asked for it.
        case client
        /// A reason this libvirt layer does not know, with its raw value.
        case unknown(Int32)

        /// Maps a raw `virConnectCloseReason` value.
        public init(rawValue: Int32) {
            switch UInt32(bitPattern: rawValue) {
            case VIR_CONNECT_CLOSE_REASON_ERROR.rawValue: self = .error
            case VIR_CONNECT_CLOSE_REASON_EOF.rawValue: self = .endOfFile
            case VIR_CONNECT_CLOSE_REASON_KEEPALIVE.rawValue: self = .keepalive
            case VIR_CONNECT_CLOSE_REASON_CLIENT.rawValue: self = .client
            default: self = .unknown(rawValue)
            }
        }
    }
}
