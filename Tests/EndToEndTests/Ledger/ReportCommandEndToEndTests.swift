import CinergySystem
import CinergyTestSupport
import Foundation
import Testing

/// `cinergy report` with the real binary against the ledger file a real agent writes, and after it
/// stopped: the same document as `GET /report`, the file read only.
@Suite("End to end: cinergy report reads the ledger file", .serialized)
struct ReportCommandEndToEndTests {
    /// RFC 3339 with milliseconds.
    static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    /// The document without the model versions' `last_used`, which every flush moves on.
    static func settled(_ document: String) -> String {
        document.replacingOccurrences(of: #""last_used":"[^"]*""#, with: #""last_used":"…""#, options: .regularExpression)
    }

    static func report(_ state: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await Command.run(AgentUnderTest.binary, ["report", "--state-directory", state] + arguments, seconds: 60)
    }

    @Test("while an agent writes and after it stopped, cinergy report prints GET /report's document; no lock, no write")
    func sameDocument() async throws {
        let directory = try TemporaryDirectory()
        let state = directory.path + "/state"
        let name = "\(EndToEnd.prefix)-ledger-cmd"
        let standIn = try LedgerFixture.standIn(name, uuid: LedgerFixture.uuid(9), executable: try StandIn.build(in: directory.path))
        let started = Date()
        let agent = try AgentUnderTest(env: LedgerFixture.env(stateDirectory: state, flushSeconds: 1), directory: try LedgerFixture.run(1, in: directory))
        try await agent.waitFor("the VM with some energy", seconds: 60) { (await LedgerFixture.energy(agent, name) ?? 0) > 100 }
        // A period that ends on a minute boundary at least 3 s ago, once two flushes have written
        // everything before it: its figures no longer move.
        var end = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 60).rounded(.down) * 60)
        if end <= started { end = end.addingTimeInterval(60) }
        while Date().timeIntervalSince(end) < 3 { try await Task.sleep(for: .milliseconds(200)) }
        try await LedgerFixture.waitForFlushes(agent)
        let from = Self.format(started.addingTimeInterval(-30.25))
        let to = Self.format(end)

        // While the agent runs (and writes every second).
        for (query, arguments) in [
            ("", [String]()), ("&by=project", ["--by", "project"]), ("&format=csv", ["--format", "csv"]),
        ] {
            let (status, served) = try await agent.getText("/report?from=\(from)&to=\(to)\(query)")
            #expect(status == 200)
            let printed = try await Self.report(state, ["--from", from, "--to", to] + arguments)
            #expect(printed.status == 0, "\(printed.output)")
            // Byte for byte: the route's JSON body ends in a newline, as the command's output does.
            let text = printed.output
            #expect(Self.settled(text) == Self.settled(served), "cinergy report \(arguments): \(printed.output)\nGET /report: \(served)")
        }
        let (_, served) = try await agent.getText("/report?from=\(from)&to=\(to)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(served.utf8)) as? [String: Any])
        let rows = try #require(json["rows"] as? [[String: Any]])
        let joules = try #require(rows.first { $0["vm"] as? String == name }?["energy_joules"] as? Double)
        let counter = try #require(await LedgerFixture.energy(agent, name))
        print("cinergy report: \(joules) J for the stand-in from \(from) to \(to), same as GET /report; counter \(counter) J")
        // The period may end before the agent's first sample of the VM (its first minute boundary
        // after the start), so only > 0 below; above, the period ended before the counter was
        // read (1e-6 J of JSON rounding), and the VM lived at most 1 s before `started` at the
        // busy power (2 % for the 10 ms ticks of each 1 s sample's CPU time).
        #expect(joules > 0)
        #expect(joules <= counter + 1e-6)
        #expect(joules <= LedgerFixture.busyWatts * (end.timeIntervalSince(started) * 1.02 + 1))
        #expect((json["model_versions"] as? [[String: Any]])?.isEmpty == false)
        // The command took no lock: the agent still holds it and writes.
        #expect(await LedgerFixture.ledger(agent)["state"] as? String == "ok")
        try await LedgerFixture.waitForFlushes(agent)

        // After the agent stopped: the same document, and the database file unchanged by reading it.
        agent.child.signal(SIGTERM)
        #expect(await agent.child.waitForExit(seconds: 20) == 0)
        let database = state + "/ledger.sqlite"
        let before = try Data(contentsOf: URL(fileURLWithPath: database))
        let after = try await Self.report(state, ["--from", from, "--to", to])
        #expect(after.status == 0, "\(after.output)")
        #expect(Self.settled(after.output) == Self.settled(served))
        #expect(try Data(contentsOf: URL(fileURLWithPath: database)) == before)

        // Bad options are usage errors (64); a directory without a ledger is exit 1, saying why.
        let bad = try await Self.report(state, ["--from", "yesterday"])
        #expect(bad.status == 64, "\(bad.output)")
        #expect(bad.output.contains("RFC 3339"))
        let missing = try await Self.report(directory.path + "/nothing-here", [])
        #expect(missing.status == 1, "\(missing.output)")
        #expect(missing.output.contains("no ledger database"), "\(missing.output)")
        _ = standIn
    }
}
