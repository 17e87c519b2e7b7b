import CinergyCore
import CinergyLibvirt
import Foundation
import Logging
import Testing

/// Lifecycle events of the in-process test driver reaching the registry through `LibvirtSource`.
@Suite("LibvirtSource on test:///default", .serialized)
struct LibvirtSourceTests {
    /// A running source over an empty procfs tree (the test driver has no processes).
    final class Running: @unchecked Sendable {
        let registry = VMRegistry()
        let task: Task<Void, Never>
        let emptyProc: String

        init() throws {
            emptyProc = FileManager.default.temporaryDirectory.appendingPathComponent("cinergy-empty-proc-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: emptyProc, withIntermediateDirectories: true)
            let source = LibvirtSource(
                registry: registry,
                configuration: .init(
                    uri: TestDomainAdmin.uri,
                    locator: QEMUProcessLocator(procfs: ProcFS(root: emptyProc), pidDirectory: nil),
                    refreshIntervalSeconds: 0.2
                ),
                logger: Logger(label: "test")
            )
            task = LibvirtSourceTests.start(source)
        }

        deinit {
            task.cancel()
            try? FileManager.default.removeItem(atPath: emptyProc)
        }

        func vm(_ name: String) -> VMRecord? { registry.records().first { $0.name == name } }

        /// Polls `condition` until it holds or 10 s pass.
        func waitFor(_ what: String, _ condition: () -> Bool) async throws {
            let deadline = Date().addingTimeInterval(60)
            while !condition() {
                guard Date() < deadline else { throw WaitTimeout(what: what, records: registry.records().map(\.name)) }
                try await Task.sleep(for: .milliseconds(10))
            }
        }
    }

    /// Runs `source` until the task is cancelled; an error it throws is a failure of the test
    /// that started it, not lost in the task.
    static func start(_ source: LibvirtSource) -> Task<Void, Never> {
        Task {
            do {
                try await source.run()
            } catch is CancellationError {
            } catch {
                Issue.record(error, "LibvirtSource.run() threw")
            }
        }
    }

    struct WaitTimeout: Error, CustomStringConvertible {
        let what: String
        let records: [String]
        var description: String { "timed out waiting for \(what); registry has \(records)" }
    }

    @Test("connect resyncs, then create, suspend, resume, destroy and shutdown reach the registry")
    func lifecycle() async throws {
        let running = try Running()
        // The driver's predefined running domain arrives with the first resync.
        try await running.waitFor("the resync") { running.vm("test") != nil }
        #expect(running.registry.status().sources[.libvirt]?.available == true)

        let admin = try TestDomainAdmin()
        let name = TestDomainAdmin.uniqueName()
        defer { admin.cleanUp(name) }
        let uuid = try admin.define(name: name, vcpus: 3)
        try admin.create(name)
        try await running.waitFor("\(name) to start") { running.vm(name) != nil }
        let started = try #require(running.vm(name))
        #expect(started.identity.uuid == uuid)
        #expect(started.identity.vcpus == 3)
        #expect(started.identity.source == .libvirt)
        #expect(started.identity.state == .running)
        #expect(started.identity.process == nil)

        try admin.suspend(name)
        try await running.waitFor("\(name) paused") { running.vm(name)?.identity.state == .paused }
        try admin.resume(name)
        try await running.waitFor("\(name) running") { running.vm(name)?.identity.state == .running }
        try admin.destroy(name)
        try await running.waitFor("\(name) gone after destroy") { running.vm(name) == nil }

        try admin.create(name)
        try await running.waitFor("\(name) restarted") { running.vm(name) != nil }
        try admin.shutdown(name)
        try await running.waitFor("\(name) gone after shutdown") { running.vm(name) == nil }
        #expect(running.vm("test") != nil)
    }

    @Test("undefine keeps a domain that still runs (now transient) and drops it when it stops")
    func undefine() async throws {
        let running = try Running()
        try await running.waitFor("the resync") { running.vm("test") != nil }
        let admin = try TestDomainAdmin()
        let name = TestDomainAdmin.uniqueName()
        defer { admin.cleanUp(name) }
        _ = try admin.define(name: name)
        try admin.create(name)
        try await running.waitFor("\(name) to start") { running.vm(name) != nil }
        try admin.undefine(name)
        // The undefine event is handled before the destroy's; the VM must still be there after it.
        try admin.suspend(name)
        try await running.waitFor("\(name) paused") { running.vm(name)?.identity.state == .paused }
        try admin.destroy(name)
        try await running.waitFor("\(name) gone") { running.vm(name) == nil }
    }

    @Test("a renamed domain starts under its new name")
    func rename() async throws {
        let running = try Running()
        try await running.waitFor("the resync") { running.vm("test") != nil }
        let admin = try TestDomainAdmin()
        let name = TestDomainAdmin.uniqueName()
        let newName = name + "-renamed"
        defer { admin.cleanUp(name, newName) }
        let uuid = try admin.define(name: name)
        try admin.rename(name, to: newName)
        try admin.create(newName)
        try await running.waitFor("\(newName) to start") { running.vm(newName) != nil }
        #expect(running.vm(newName)?.identity.uuid == uuid)
        #expect(running.vm(name) == nil)
        try admin.destroy(newName)
        try await running.waitFor("\(newName) gone") { running.vm(newName) == nil }
    }

    @Test("an unreachable URI leaves the source unavailable, with the error, and nothing crashes")
    func unreachable() async throws {
        let registry = VMRegistry()
        let source = LibvirtSource(
            registry: registry,
            configuration: .init(
                uri: "qemu+unix:///system?socket=/nonexistent/cinergy-test.sock",
                locator: QEMUProcessLocator(procfs: ProcFS(root: "/nonexistent"), pidDirectory: nil),
                initialBackoffSeconds: 0.05
            ),
            logger: Logger(label: "test")
        )
        let task = Self.start(source)
        defer { task.cancel() }
        let deadline = Date().addingTimeInterval(10)
        while registry.status().sources[.libvirt]?.lastError == nil, Date() < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        let status = try #require(registry.status().sources[.libvirt])
        #expect(status.available == false)
        #expect(status.lastError?.contains("virConnectOpenReadOnly") == true)
        #expect(registry.records().isEmpty)
    }
}
