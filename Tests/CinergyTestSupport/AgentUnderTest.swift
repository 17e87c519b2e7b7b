import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The real `cinergy` binary, started on a free loopback port with a test env file.
public final class AgentUnderTest: @unchecked Sendable {
    public let port: Int
    public let directory: String
    public let child: ChildProcess

    /// The built binary: `CINERGY_BINARY` (set by `make test`), else the debug build of this checkout.
    public static var binary: String {
        if let path = ProcessInfo.processInfo.environment["CINERGY_BINARY"] { return path }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../.build/debug/cinergy").standardized.path
    }

    public init(env: [String: String], directory: String) throws {
        self.directory = directory
        port = Kernel.freeLoopbackPort()
        var values = env
        values["PORT"] = String(port)
        values["BIND_ADDRESS"] = "127.0.0.1"
        // The ledger stays off unless a test gives it a directory: the default, /var/lib/cinergy,
        // is the host's, and several agents at once would lock each other out of it.
        values["STATE_DIRECTORY"] = values["STATE_DIRECTORY"] ?? "none"
        let envFile = directory + "/agent.env"
        try values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\n")
            .write(toFile: envFile, atomically: true, encoding: .utf8)
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            throw TestFailure("the agent binary \(Self.binary) is missing: run `make test` (or `swift build`) first")
        }
        child = try ChildProcess(
            "cinergy", executable: Self.binary, arguments: ["--env-file", envFile], logFile: directory + "/agent.log"
        )
    }

    public var log: String { (try? String(contentsOfFile: directory + "/agent.log", encoding: .utf8)) ?? "" }

    /// GETs `path` and returns the status and the decoded JSON body.
    public func get(_ path: String) async throws -> (status: Int, json: Any) {
        let url = URL(string: "http://127.0.0.1:\(port)\(path)")!
        var request = URLRequest(url: url)
        request.timeoutInterval = 10
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        return (status, try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]))
    }

    /// GETs `path` and returns the status and the body as text.
    public func getText(_ path: String) async throws -> (status: Int, body: String) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.timeoutInterval = 10
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    /// `GET /vms` as a list of objects; empty while the server is not up yet.
    public func vms() async -> [[String: Any]] {
        guard let (status, json) = try? await get("/vms"), status == 200 else { return [] }
        return json as? [[String: Any]] ?? []
    }

    /// Polls `condition` every 50 ms until it holds or `seconds` pass.
    public func waitFor(_ what: String, seconds: Double = 30, _ condition: () async -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if await condition() { return }
            if !child.isRunning { throw TestFailure("the agent exited while waiting for \(what):\n\(log)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("timed out after \(seconds) s waiting for \(what); agent log:\n\(log)")
    }
}

public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
