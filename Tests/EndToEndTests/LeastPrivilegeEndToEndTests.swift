import CinergySystem
import CinergyTestSupport
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// The agent run with the least privilege it needs: an unprivileged user (nobody), no
/// capabilities, no new privileges, a working directory it cannot write, and only read access
/// to /proc and libvirt's read-only socket.
@Suite("End to end: least privilege", .serialized)
struct LeastPrivilegeEndToEndTests {
    @Test("as nobody, with no privileges: libvirt domains and hand-run QEMUs are found and sampled")
    func asNobody() async throws {
        try #require(getuid() == 0, "needs root to drop to nobody")
        try #require(await Virsh.isUp(), "libvirtd is not running on qemu:///system: run `make test`")
        let setpriv = try #require(Kernel.which("setpriv"), "setpriv (util-linux) is missing")
        let directory = try TemporaryDirectory()
        // nobody must be able to read the env file (and nothing else of ours).
        chmod(directory.path, 0o755)
        let janitor = DomainJanitor()
        let domain = TestDomain(name: "\(EndToEnd.prefix)-nobody-lv", vcpus: 2, spinning: true)
        janitor.track(domain)
        try await domain.create(in: directory.path)
        let handName = "\(EndToEnd.prefix)-nobody-hand"
        let standIn = try StandIn.build(in: directory.path)
        let hand = try ChildProcess(handName, executable: standIn, arguments: ["-name", "guest=\(handName)", "-smp", "3"])

        let port = Kernel.freeLoopbackPort()
        var env = EndToEnd.libvirtEnv
        env["PORT"] = String(port)
        env["BIND_ADDRESS"] = "127.0.0.1"
        let envFile = directory.path + "/nobody.env"
        try env.map { "\($0.key)=\($0.value)" }.joined(separator: "\n").write(toFile: envFile, atomically: true, encoding: .utf8)
        chmod(envFile, 0o644)
        let log = directory.path + "/nobody.log"
        let agent = try ChildProcess(
            "cinergy", executable: setpriv,
            arguments: [
                "--reuid=65534", "--regid=65534", "--clear-groups", "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all",
                AgentUnderTest.binary, "--env-file", envFile,
            ],
            logFile: log
        )
        let client = AgentClient(port: port)
        let deadline = Date().addingTimeInterval(60)
        var vms: [[String: Any]] = []
        while Date() < deadline {
            vms = await client.vms()
            let names = [domain.name, handName]
            if names.allSatisfy({ name in vms.contains { $0["name"] as? String == name && $0["cpu_usage"] is Double } }) { break }
            try #require(agent.isRunning, "the agent exited: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            try await Task.sleep(for: .milliseconds(100))
        }
        let managed = try #require(vms.first { $0["name"] as? String == domain.name }, "\(vms)")
        #expect(managed["source"] as? String == "libvirt")
        #expect(managed["vcpus"] as? Int == 2)
        // libvirt's pid files are root's; the QEMU is found by its -uuid in /proc instead.
        #expect(managed["pid"] is Int)
        #expect((managed["cpu_usage"] as? Double ?? 0) > 30)
        let byHand = try #require(vms.first { $0["name"] as? String == handName })
        #expect(byHand["source"] as? String == "procfs")
        #expect(byHand["pid"] as? Int == Int(hand.pid))
        let status = try String(contentsOfFile: "/proc/\(agent.pid)/status", encoding: .utf8)
        #expect(status.contains("Uid:\t65534"), "the agent runs as nobody")
        #expect(status.contains("CapEff:\t0000000000000000"), "with no capabilities")
    }
}

/// A minimal client for an agent not started through `AgentUnderTest`.
struct AgentClient {
    let port: Int

    func vms() async -> [[String: Any]] {
        guard let url = URL(string: "http://127.0.0.1:\(port)/vms"),
            let (data, _) = try? await URLSession.shared.data(from: url),
            let list = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]]
        else { return [] }
        return list
    }
}
