@testable import CinergyAgent
import CinergyCore
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOPosix
import Synchronization
import Testing

@Suite("Guest channel: the line, the socket, the variables")
struct GuestChannelTests {
    static let configuration = RouteTests.configuration

    /// A libvirt VM with one sample and some energy.
    static func registry() -> VMRegistry {
        let registry = VMRegistry(accounting: configuration.accounting)
        let identity = VMIdentity(
            name: "web-01", uuid: "f2319f2b-7d0c-4f6c-9c43-1a2b3c4d5e6f", process: ProcessIdentity(pid: 100, startTimeTicks: 1), vcpus: 2,
            source: .libvirt
        )
        registry.upsert(identity, nowUnixSeconds: 1_800_000_000)
        for second in 1...2 {
            registry.record(
                [(identity.process!, UsageSample(cpuUsagePercent: 37.5, sampledAtUnixSeconds: 1_800_000_000.25 + Double(second), intervalSeconds: 1))],
                statistics: RoundStatistics(finishedAtUnixSeconds: 1_800_000_000.25 + Double(second), durationSeconds: 0.001, vmCount: 1)
            )
        }
        return registry
    }

    static func line(_ registry: VMRegistry) throws -> String {
        let line = GuestChannelLine(
            powerModel: configuration.powerModel, carbonModel: configuration.carbonModel, emissionFactors: nil, registry: registry
        )
        let record = try #require(registry.records().first)
        return try #require(line.text(for: record))
    }

    @Test("one JSON line: format_version, sampled_at, and /power's and /carbon's objects (without the host's load)")
    func lineFormat() async throws {
        let registry = Self.registry()
        let text = try Self.line(registry)
        #expect(text.hasSuffix("\n"))
        #expect(text.dropLast().firstIndex(of: "\n") == nil, "one line")
        #expect(text.hasPrefix("{\"format_version\":1,\"sampled_at\":\"2027-01-15T08:00:02.250Z\",\"power\":{\"vm\":\"web-01\","))
        let object = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["format_version", "sampled_at", "power", "carbon"])
        let power = try #require(object["power"] as? [String: Any])
        #expect(power["host_cpu_usage"] == nil)
        #expect(power["energy_joules"] as? Double ?? 0 > 0)

        let app = Application(router: buildRouter(configuration: Self.configuration, registry: registry))
        try await app.test(.router) { client in
            let line = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            for (path, key) in [("/power?vm=web-01", "power"), ("/carbon?vm=web-01", "carbon")] {
                let object = try #require(line[key] as? [String: Any])
                try await client.execute(uri: path, method: .get) { response in
                    var expected = try #require(JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any])
                    expected["host_cpu_usage"] = nil
                    #expect(Set(expected.keys) == Set(object.keys), "\(path)")
                    for (key, value) in expected {
                        #expect((object[key] as? NSObject)?.isEqual(value) == true, "\(path): \(key)")
                    }
                }
            }
        }
    }

    @Test("no sample yet: no line")
    func noSample() {
        let registry = VMRegistry()
        registry.upsert(VMIdentity(name: "new", uuid: "u", process: nil, vcpus: 1, source: .libvirt), nowUnixSeconds: 1)
        let line = GuestChannelLine(
            powerModel: Self.configuration.powerModel, carbonModel: Self.configuration.carbonModel, emissionFactors: nil, registry: registry
        )
        #expect(line.text(for: registry.records()[0]) == nil)
    }

    @Test("a peer that never reads: lines queue up to the bounds, then are dropped and counted; once it reads, lines flow again")
    func nonReadingPeer() async throws {
        let server = try UnixListener()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let counters = GuestChannelCounters()
        let socket = GuestChannelSocket.connect(path: server.path, group: group, counters: counters)
        try await Self.until("connected") { socket.state == .connected }
        let peer = try #require(server.accept())
        let line = try Self.line(Self.registry())
        // Sent one after another, each counted before the next, as the service sends a line per sample.
        for sent in 1...300 {
            socket.send(line)
            try await Self.until("line \(sent) counted") {
                counters.linesWritten.load(ordering: .relaxed) + counters.linesDropped.load(ordering: .relaxed) == sent
            }
        }
        let written = counters.linesWritten.load(ordering: .relaxed)
        let dropped = counters.linesDropped.load(ordering: .relaxed)
        // Queued: at most NIO's high water mark (16 KiB) plus what the kernel holds for a 16 KiB send buffer.
        #expect(written >= 10 && written <= 120, "\(written) lines queued for a peer that never reads")
        #expect(dropped == 300 - written)
        let connected = counters.isConnected.load(ordering: .relaxed)
        #expect(connected)

        // The peer reads everything: the buffers drain and the next lines are written.
        let drained = try await peer.readAvailable(atLeast: written * line.utf8.count)
        #expect(drained == written * line.utf8.count)
        socket.send(line)
        try await Self.until("a line written again") { counters.linesWritten.load(ordering: .relaxed) == written + 1 }

        socket.close()
        let stillConnected = counters.isConnected.load(ordering: .relaxed)
        #expect(!stillConnected)
        try await group.shutdownGracefully()
    }

    @Test("what the peer writes is never read faster than a chunk per line sent")
    func floodingPeer() async throws {
        let server = try UnixListener()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let counters = GuestChannelCounters()
        let socket = GuestChannelSocket.connect(path: server.path, group: group, counters: counters)
        try await Self.until("connected") { socket.state == .connected }
        let peer = try #require(server.accept())
        // The peer writes until the socket is full, in small chunks.
        let capacity = peer.writeUntilFull(chunk: 256)
        #expect(capacity > 0)
        let line = try Self.line(Self.registry())
        for sent in 1...20 {
            socket.send(line)
            try await Self.until("line \(sent) counted") { counters.linesWritten.load(ordering: .relaxed) == sent }
        }
        // Let the event loop run the reads the sends asked for, then fill the socket again.
        try await Task.sleep(for: .milliseconds(200))
        let refilled = peer.writeUntilFull(chunk: 256)
        // The agent read at most one chunk (1 KiB) per line sent, plus the read after connecting.
        #expect(refilled <= 21 * GuestChannelSocket.readChunkBytes + 4096, "the agent read \(refilled) bytes for 20 lines")
        #expect(socket.state == .connected)
        socket.close()
        try await group.shutdownGracefully()
    }

    @Test("a socket that is not there: closed, with the reason")
    func missingSocket() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let socket = GuestChannelSocket.connect(
            path: "/nonexistent/cinergy-\(UUID().uuidString)", group: group, counters: GuestChannelCounters())
        try await Self.until("closed") {
            if case .closed = socket.state { return true }
            return false
        }
        try await group.shutdownGracefully()
    }

    @Test("the other end closes: the socket reports it")
    func peerCloses() async throws {
        let server = try UnixListener()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let counters = GuestChannelCounters()
        let socket = GuestChannelSocket.connect(path: server.path, group: group, counters: counters)
        try await Self.until("connected") { socket.state == .connected }
        var peer = server.accept()
        #expect(peer != nil)
        peer = nil
        try await Self.until("closed") {
            if case .closed = socket.state { return true }
            return false
        }
        let stillConnected = counters.isConnected.load(ordering: .relaxed)
        #expect(!stillConnected)
        try await group.shutdownGracefully()
    }

    @Test("GUEST_CHANNEL is on and hot-plug off by default; hot-plug needs the channel and libvirt")
    func variables() throws {
        let defaults = try ConfigurationTests.validate(ConfigurationTests.valid)
        #expect(defaults.guestChannel)
        #expect(!defaults.guestChannelHotplug)
        for extra in [["GUEST_CHANNEL": "false", "GUEST_CHANNEL_HOTPLUG": "true"], ["LIBVIRT_URI": "none", "GUEST_CHANNEL_HOTPLUG": "true"]] {
            #expect {
                try ConfigurationTests.validate(ConfigurationTests.valid.merging(extra) { $1 })
            } throws: { error in
                guard let errors = error as? ConfigurationErrors, case .invalid(let variable, let value, _) = errors.errors.first else { return false }
                return variable == "GUEST_CHANNEL_HOTPLUG" && value == "true"
            }
        }
        #expect(throws: ConfigurationErrors.self) { try ConfigurationTests.validate(ConfigurationTests.valid.merging(["GUEST_CHANNEL": "maybe"]) { $1 }) }
    }

    static func until(_ what: String, seconds: Double = 60, _ condition: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(5))
        }
        Issue.record("timed out waiting for \(what)")
        throw CancellationError()
    }
}

/// A Unix socket server in a temporary directory, for the socket's tests: what QEMU is to the agent.
final class UnixListener {
    let path: String
    private let directory: String
    private let descriptor: Int32

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("cinergy-channel-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = directory + "/org.cinergy.power.0"
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() where index < buffer.count - 1 { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(descriptor, 4) == 0 else { throw CancellationError() }
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
    }

    /// The next connection, non-blocking; nil when none comes within a few seconds.
    func accept() -> UnixPeer? {
        for _ in 0..<500 {
            let peer = Glibc.accept(descriptor, nil, nil)
            if peer >= 0 {
                _ = fcntl(peer, F_SETFL, fcntl(peer, F_GETFL) | O_NONBLOCK)
                return UnixPeer(descriptor: peer)
            }
            usleep(10_000)
        }
        return nil
    }

    deinit {
        close(descriptor)
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// The server's end of one connection, non-blocking.
final class UnixPeer {
    let descriptor: Int32

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Reads until `atLeast` bytes came or nothing more comes for a second; returns the count.
    func readAvailable(atLeast: Int) async throws -> Int {
        var total = 0
        var buffer = [UInt8](repeating: 0, count: 65536)
        var idle = 0
        while total < atLeast, idle < 200 {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                total += count
                idle = 0
            } else {
                idle += 1
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        return total
    }

    /// Writes `chunk`-byte pieces until the socket would block; returns the bytes written.
    func writeUntilFull(chunk: Int) -> Int {
        let bytes = [UInt8](repeating: 0x41, count: chunk)
        var total = 0
        while true {
            let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { return total }
            total += count
        }
    }

    deinit {
        close(descriptor)
    }
}
