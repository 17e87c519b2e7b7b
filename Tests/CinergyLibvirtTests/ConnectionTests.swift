import CLibvirt
import CinergyLibvirt
import Testing

/// Queries and connection handling against the in-process test driver.
@Suite struct ConnectionTests {
    static let uri = "test:///default"

    @Test func opensAndListsThePredefinedTestDomain() throws {
        let connection = try LibvirtConnection.open(uri: Self.uri)
        defer { connection.close() }

        #expect(connection.isAlive)
        #expect(LibvirtEventLoop.shared.isRunning)
        let domains = try connection.activeDomains()
        let test = try #require(domains.first { $0.name == "test" })
        #expect(test.state == .running)
        #expect(test.id > 0)
        #expect(test.uuid.count == 36)
        #expect(test.uuid == test.uuid.lowercased())
        #expect((test.vcpusCurrent ?? 0) > 0)
    }

    @Test func vcpuCountsAgreeWithTheDomainList() throws {
        let connection = try LibvirtConnection.open(uri: Self.uri)
        defer { connection.close() }

        let test = try #require(try connection.activeDomains().first { $0.name == "test" })
        let counts = try connection.vcpuCounts()
        #expect(counts[test.uuid] != nil)
        #expect(counts[test.uuid] == test.vcpusCurrent)
    }

    @Test func newDomainIsListedWithItsVcpuCount() throws {
        let connection = try LibvirtConnection.open(uri: Self.uri)
        defer { connection.close() }
        let admin = try TestDomainAdmin()
        let name = TestDomainAdmin.uniqueName()
        defer { admin.cleanUp(name) }

        let uuid = try admin.define(name: name, vcpus: 3)
        #expect(try connection.activeDomains().contains { $0.uuid == uuid } == false)
        try admin.create(name)

        let info = try #require(try connection.activeDomains().first { $0.uuid == uuid })
        #expect(info.name == name)
        #expect(info.state == .running)
        #expect(info.id > 0)
        #expect(info.vcpusCurrent == 3)
        #expect(try connection.vcpuCounts()[uuid] == 3)

        try admin.suspend(name)
        #expect(try connection.activeDomains().first { $0.uuid == uuid }?.state == .paused)
    }

    @Test func cpuTimeIsOptionalAndUnknownDomainsThrow() throws {
        let connection = try LibvirtConnection.open(uri: Self.uri)
        defer { connection.close() }

        let admin = try TestDomainAdmin()

        let test = try #require(try connection.activeDomains().first { $0.name == "test" })
        // The test driver may or may not report cpu.time; either way this must not throw.
        let nanoseconds = try admin.cpuTimeNanoseconds(uuid: test.uuid)
        let all = try admin.cpuTimesNanoseconds()
        #expect((nanoseconds == nil) == (all[test.uuid] == nil))

        let error = #expect(throws: LibvirtError.self) {
            try admin.cpuTimeNanoseconds(uuid: "00000000-0000-0000-0000-000000000001")
        }
        #expect(error?.isNoDomain == true)
        #expect(error?.function == "virDomainLookupByUUIDString")
    }

    @Test func badURIThrowsLibvirtsError() throws {
        let error = #expect(throws: LibvirtError.self) {
            try LibvirtConnection.open(uri: "cinergy-no-such-driver:///nothing")
        }
        #expect(error?.function == "virConnectOpenReadOnly")
        #expect(error?.message.isEmpty == false)
        #expect(error?.description.contains("virConnectOpenReadOnly") == true)
    }

    @Test func closeEndsNotificationsAndLaterCallsThrow() async throws {
        let connection = try LibvirtConnection.open(uri: Self.uri)
        connection.close()
        connection.close()

        var received: [LibvirtConnection.Notification] = []
        for await notification in connection.notifications {
            received.append(notification)
        }
        #expect(received.isEmpty)
        #expect(connection.isAlive == false)
        let error = #expect(throws: LibvirtError.self) {
            try connection.activeDomains()
        }
        #expect(error?.code == Int32(VIR_ERR_INVALID_CONN.rawValue))
    }

    @Test func eventLoopStartIsIdempotent() throws {
        try LibvirtEventLoop.shared.start()
        try LibvirtEventLoop.shared.start()
        #expect(LibvirtEventLoop.shared.isRunning)
    }
}
