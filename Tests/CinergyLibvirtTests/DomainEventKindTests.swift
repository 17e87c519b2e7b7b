import CLibvirt
import CinergyLibvirt
import Testing

/// Mapping of libvirt's raw enum values.
@Suite struct DomainEventKindTests {
    @Test(arguments: [
        (Int32(0), DomainEventKind.defined),
        (1, .undefined),
        (2, .started),
        (3, .suspended),
        (4, .resumed),
        (5, .stopped),
        (6, .shutdown),
        (7, .pmsuspended),
        (8, .crashed),
        (42, .unknown(42)),
    ])
    func rawValuesMapBothWays(raw: Int32, kind: DomainEventKind) {
        #expect(DomainEventKind(rawValue: raw) == kind)
        #expect(kind.rawValue == raw)
    }

    @Test(arguments: [
        (DomainEventKind.defined, Int32(VIR_DOMAIN_EVENT_DEFINED_RENAMED.rawValue), true),
        (.defined, Int32(VIR_DOMAIN_EVENT_DEFINED_ADDED.rawValue), false),
        (.undefined, Int32(VIR_DOMAIN_EVENT_UNDEFINED_RENAMED.rawValue), true),
        (.undefined, Int32(VIR_DOMAIN_EVENT_UNDEFINED_REMOVED.rawValue), false),
        // Detail 1 means RENAMED only for UNDEFINED.
        (.started, Int32(VIR_DOMAIN_EVENT_STARTED_MIGRATED.rawValue), false),
    ])
    func renameDetection(kind: DomainEventKind, detail: Int32, isRename: Bool) {
        let event = DomainEvent(name: "vm", uuid: "u", id: -1, kind: kind, detail: detail)
        #expect(event.isRename == isRename)
    }

    @Test func domainStatesMap() {
        #expect(DomainState(rawValue: Int32(VIR_DOMAIN_RUNNING.rawValue)) == .running)
        #expect(DomainState(rawValue: Int32(VIR_DOMAIN_PAUSED.rawValue)) == .paused)
        #expect(DomainState(rawValue: Int32(VIR_DOMAIN_SHUTOFF.rawValue)) == .other(5))
    }

    @Test func closeReasonsMap() {
        #expect(LibvirtConnection.CloseReason(rawValue: 0) == .error)
        #expect(LibvirtConnection.CloseReason(rawValue: 1) == .endOfFile)
        #expect(LibvirtConnection.CloseReason(rawValue: 2) == .keepalive)
        #expect(LibvirtConnection.CloseReason(rawValue: 3) == .client)
        #expect(LibvirtConnection.CloseReason(rawValue: 9) == .unknown(9))
    }
}
