import CinergySystem
import CinergyTestSupport
import Foundation
import Testing

/// Hostile and odd HTTP clients against the built agent: nothing gets a 5xx, nothing blocks the
/// others, nothing takes the agent down.
@Suite("End to end: bad HTTP input and hostile clients", .serialized)
struct RobustnessEndToEndTests {
    @Test("malformed, huge, repeated and unknown requests get a 4xx (or a closed connection), never a 5xx")
    func badRequests() async throws {
        let directory = try TemporaryDirectory()
        let agent = try AgentUnderTest(env: EndToEnd.env, directory: directory.path)
        try await agent.waitFor("the agent") { (try? await agent.get("/health"))?.status == 200 }
        let port = agent.port
        let huge = String(repeating: "a", count: 200_000)
        let cases: [(String, String, ClosedRange<Int>?)] = [
            ("missing vm", "GET /power HTTP/1.1\r\nHost: x\r\n\r\n", 400...400),
            ("empty vm", "GET /power?vm= HTTP/1.1\r\nHost: x\r\n\r\n", 400...400),
            ("repeated vm", "GET /carbon?vm=a&vm=a HTTP/1.1\r\nHost: x\r\n\r\n", 400...400),
            ("invalid UTF-8", "GET /power?vm=%C3%28 HTTP/1.1\r\nHost: x\r\n\r\n", 400...400),
            ("bad escape", "GET /power?vm=%G1 HTTP/1.1\r\nHost: x\r\n\r\n", 400...400),
            ("truncated escape", "GET /power?vm=abc% HTTP/1.1\r\nHost: x\r\n\r\n", 400...400),
            ("NUL escape", "GET /power?vm=a%00b HTTP/1.1\r\nHost: x\r\n\r\n", 404...404),
            ("4 KB vm", "GET /power?vm=\(String(repeating: "v", count: 4096)) HTTP/1.1\r\nHost: x\r\n\r\n", 404...404),
            ("200 KB URL", "GET /power?vm=\(huge) HTTP/1.1\r\nHost: x\r\n\r\n", nil),
            ("200 KB header", "GET /health HTTP/1.1\r\nHost: x\r\nX-Junk: \(huge)\r\n\r\n", nil),
            ("5,000 headers", "GET /health HTTP/1.1\r\nHost: x\r\n" + (0..<5000).map { "X-\($0): y\r\n" }.joined() + "\r\n", nil),
            ("unknown method on an API path (the parser refuses it)", "BREW /power?vm=a HTTP/1.1\r\nHost: x\r\n\r\n", 400...405),
            ("PATCH on an API path", "PATCH /power?vm=a HTTP/1.1\r\nHost: x\r\n\r\n", 405...405),
            ("DELETE", "DELETE /vms HTTP/1.1\r\nHost: x\r\n\r\n", 405...405),
            ("unknown path", "GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", 404...404),
            ("garbage", "HELLO THERE\r\n\r\n", nil),
            ("binary", String(decoding: (0..<255).map { UInt8($0) }, as: UTF8.self), nil),
            ("HTTP/0.9", "GET /health\r\n\r\n", nil),
            ("POST with a body", "POST /power?vm=a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", 405...405),
        ]
        for (label, raw, expected) in cases {
            let (status, head) = try RawConnection.request(port: port, raw)
            if let status {
                #expect(status < 500, "\(label): \(head.prefix(300))")
                if let expected { #expect(expected.contains(status), "\(label): \(head.prefix(300))") }
            } else {
                #expect(expected == nil, "\(label): the connection was closed without an answer")
            }
            #expect(agent.child.isRunning, "\(label) took the agent down:\n\(agent.log)")
        }
        #expect((try await agent.get("/health")).status == 200)
    }

    @Test("a client sending one byte a second blocks nobody; hundreds of idle connections neither, and they cost little")
    func slowAndIdleClients() async throws {
        let directory = try TemporaryDirectory()
        let agent = try AgentUnderTest(env: EndToEnd.env, directory: directory.path)
        try await agent.waitFor("the agent") { (try? await agent.get("/health"))?.status == 200 }
        let pid = agent.child.pid
        let baselineRSS = try #require(ProcessResources.residentKiB(pid))
        let baselineSockets = try #require(ProcessResources.openSockets(pid))

        // The slow client trickles a request in the background while others are served.
        let port = agent.port
        let slow = Task.detached {
            let connection = try RawConnection(port: port)
            for byte in Array("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".utf8).prefix(6) {
                connection.send([byte])
                try await Task.sleep(for: .seconds(1))
            }
            return connection
        }
        for _ in 0..<50 {
            #expect((try await agent.get("/vms")).status == 200)
        }
        #expect(!slow.isCancelled)

        // 400 idle connections held open at once.
        var idle: [RawConnection] = []
        for _ in 0..<400 { idle.append(try RawConnection(port: agent.port)) }
        for _ in 0..<20 {
            #expect((try await agent.get("/health")).status == 200)
        }
        let withIdleRSS = try #require(ProcessResources.residentKiB(pid))
        let withIdleSockets = try #require(ProcessResources.openSockets(pid))
        print("400 idle connections: RSS \(baselineRSS) -> \(withIdleRSS) KiB, sockets \(baselineSockets) -> \(withIdleSockets)")
        #expect(withIdleRSS - baselineRSS < 64 * 1024, "400 idle connections should cost far less than 64 MiB")
        idle.removeAll()
        _ = try await slow.value
        // Once the clients are gone, so are their descriptors.
        try await agent.waitFor("sockets released") {
            (ProcessResources.openSockets(pid) ?? .max) <= baselineSockets + 2
        }
        #expect(agent.child.isRunning)
    }

    @Test("SIGTERM under load: in-flight requests complete, the agent exits 0 in bounded time")
    func sigtermUnderLoad() async throws {
        let directory = try TemporaryDirectory()
        let agent = try AgentUnderTest(env: EndToEnd.env, directory: directory.path)
        try await agent.waitFor("the agent") { (try? await agent.get("/health"))?.status == 200 }
        let port = agent.port
        // Clients on threads of their own (their sockets block) that keep requesting until the
        // server goes away; they count what they got.
        let results = LoadResults()
        let threads = (0..<8).map { _ in
            Thread {
                var ok = 0
                var bad = 0
                while true {
                    guard let connection = try? RawConnection(port: port) else { break }
                    connection.send("GET /vms HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    let (status, _) = connection.readStatus()
                    if status == 200 { ok += 1 } else if let status, status >= 500 { bad += 1 } else { break }
                }
                results.add(ok: ok, bad: bad)
            }
        }
        threads.forEach { $0.start() }
        try await agent.waitFor("load running") { ((try? await agent.getText("/metrics"))?.body.contains("route=\"/vms\"")) == true }
        agent.child.signal(SIGTERM)
        let status = await agent.child.waitForExit(seconds: 30)
        #expect(status == 0, "agent log:\n\(agent.log)")
        let deadline = Date().addingTimeInterval(60)
        while results.finished < threads.count, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(results.finished == threads.count, "the clients should stop once the agent is gone")
        #expect(results.bad == 0, "no 5xx while shutting down")
        let served = results.ok
        #expect(served > 0)
    }
}

/// What the load threads got, added up.
final class LoadResults: @unchecked Sendable {
    private let lock = NSLock()
    private var counts = (ok: 0, bad: 0, finished: 0)

    func add(ok: Int, bad: Int) {
        lock.lock()
        counts.ok += ok
        counts.bad += bad
        counts.finished += 1
        lock.unlock()
    }

    var ok: Int { lock.lock(); defer { lock.unlock() }; return counts.ok }
    var bad: Int { lock.lock(); defer { lock.unlock() }; return counts.bad }
    var finished: Int { lock.lock(); defer { lock.unlock() }; return counts.finished }
}
