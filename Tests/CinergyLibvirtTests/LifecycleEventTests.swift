import CLibvirt
import CinergyLibvirt
import Testing

/// Lifecycle events from the test driver, caused through a second, read-write connection.
@Suite struct LifecycleEventTests {
    static let uri = "test:///default"

    @Test func defineStartSuspendResumeDestroyUndefine() async throws {
        let connection = try LibvirtConnection.open(uri: Self.uri)
        defer { connection.close() }
        let log = await EventLog.recording(connection)
        let admin = try TestDomainAdmin()
        let name = TestDomainAdmin.uniqueName()
        defer { admin.cleanUp(name) }

        let uuid = try admin.define(name: name)
        let defined = try #require(await log.next { $0.uuid == uuid })
        #expect(defined.kind == .defined)
        #expect(defined.detail == Int32(VIR_DOMAIN_EVENT_DEFINED_ADDED.rawValue))
        #expect(defined.name == name)
        #expect(defined.id == -1)
        #expect(defined.isRename == false)

        try admin.create(name)
        let started = try #require(await log.next { $0.uuid == uuid })
        #expect(started.kind == .started)
        #expect(started.detail == Int32(VIR_DOMAIN_EVENT_STARTED_BOOTED.rawValue))
        #expect(started.id > 0)

        try admin.suspend(name)
        let suspended = try #require(await log.next { $0.uuid == uuid })
        #expect(suspended.kind == .suspended)
        #expect(suspended.id == started.id)

        try admin.resume(name)
        let resumed = try #require(await log.next { $0.uuid == uuid })
        #expect(resumed.kind == .resumed)

        try admin.destroy(name)
        let stopped = try #require(await log.next { $0.uuid == uuid })
        #expect(stopped.kind == .stopped)
        #expect(stopped.detail == Int32(VIR_DOMAIN_EVENT_STOPPED_DESTROYED.rawValue))

        try admin.undefine(name)
        let undefined = try #require(await log.next { $0.uuid == uuid })
        #expect(undefined.kind == .undefined)
        #expect(undefined.detail == Int32(VIR_DOMAIN_EVENT_UNDEFINED_REMOVED.rawValue))
        #expect(undefined.name == name)
    }

    @Test func shutdownStopsTheDomain() async throws {
        let connection = try LibvirtConnection.open(uri: Self.uri)
        defer { connection.close() }
        let log = await EventLog.recording(connection)
        let admin = try TestDomainAdmin()
        let name = TestDomainAdmin.uniqueName()
        defer { admin.cleanUp(name) }

        let uuid = try admin.define(name: name)
        try admin.create(name)
        #expect(await log.next { $0.uuid == uuid && $0.kind == .started } != nil)

        try admin.shutdown(name)
        let stopped = try #require(await log.next { $0.uuid == uuid && $0.kind == .stopped })
        #expect(stopped.detail == Int32(VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN.rawValue))
    }

    @Test func renameSendsUndefinedAndDefinedPair() async throws {
        let connection = try LibvirtConnection.open(uri: Self.uri)
        defer { connection.close() }
        let log = await EventLog.recording(connection)
        let admin = try TestDomainAdmin()
        let name = TestDomainAdmin.uniqueName()
        let newName = name + "-renamed"
        defer { admin.cleanUp(name, newName) }

        let uuid = try admin.define(name: name)
        #expect(await log.next { $0.uuid == uuid && $0.kind == .defined } != nil)

        try admin.rename(name, to: newName)
        let oldHalf = try #require(await log.next { $0.uuid == uuid && $0.kind == .undefined })
        #expect(oldHalf.isRename)
        #expect(oldHalf.name == name)
        let newHalf = try #require(await log.next { $0.uuid == uuid && $0.kind == .defined })
        #expect(newHalf.isRename)
        #expect(newHalf.name == newName)
    }
}
