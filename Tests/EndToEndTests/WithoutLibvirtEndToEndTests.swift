import CinergySystem
import CinergyTestSupport
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// The binary does not link libvirt: it loads libvirt's client library only when a libvirt URI is
/// configured, and runs on a host without libvirt on the procfs scan alone.
@Suite("End to end: a host without libvirt", .serialized)
struct WithoutLibvirtEndToEndTests {
    /// Where the dynamic loader finds libvirt.so.0 on this machine, from `ldconfig -p`.
    static func libvirtLibraryPath() -> String? {
        let ldconfig = Kernel.which("ldconfig") ?? "/sbin/ldconfig"
        let output = Pipe()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ldconfig)
        process.arguments = ["-p"]
        process.standardOutput = output
        guard (try? process.run()) != nil else { return nil }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text.split(separator: "\n").lazy
            .filter { $0.contains("libvirt.so.0 ") }
            .compactMap { $0.components(separatedBy: " => ").last?.trimmingCharacters(in: .whitespaces) }
            .first
    }

    /// `GET /health` as an object; empty while the server is not up.
    static func health(port: Int) async -> [String: Any] {
        guard let url = URL(string: "http://127.0.0.1:\(port)/health"),
            let (data, _) = try? await URLSession.shared.data(from: url),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return [:] }
        return object
    }

    /// A stand-in QEMU the agent must find by the procfs scan.
    static func startStandIn(named name: String, in directory: String) throws -> ChildProcess {
        let executable = try StandIn.build(in: directory)
        return try ChildProcess(
            name, executable: executable,
            arguments: ["-name", "guest=\(name),debug-threads=on", "-smp", "2", "-accel", "tcg", "-display", "none"],
            environment: ["CINERGY_STANDIN_IDLE": "1"]
        )
    }

    @Test("with LIBVIRT_URI=none, no libvirt library is mapped into the agent")
    func noLibvirtMapped() async throws {
        let directory = try TemporaryDirectory()
        let name = "\(EndToEnd.prefix)-nolibvirt"
        let standIn = try Self.startStandIn(named: name, in: directory.path)
        let agent = try AgentUnderTest(env: EndToEnd.env, directory: directory.path)
        try await agent.waitFor("the stand-in in /vms") {
            await agent.vms().contains { $0["name"] as? String == name && $0["pid"] as? Int == Int(standIn.pid) }
        }
        let maps = try #require(Kernel.readProcFile("/proc/\(agent.child.pid)/maps"))
        #expect(!maps.contains("libvirt"), "libvirt is mapped although LIBVIRT_URI=none")
        #expect(maps.contains("libc.so"), "the maps were read whole")
    }

    @Test("libvirt's library absent: the agent starts, says why libvirt is unavailable and serves the procfs scan")
    func libraryAbsent() async throws {
        try #require(getuid() == 0, "needs root to hide libvirt's library in a private mount namespace")
        let unshare = try #require(Kernel.which("unshare"), "unshare (util-linux) is missing")
        let library = try #require(Self.libvirtLibraryPath(), "libvirt.so.0 is not installed: run `make test`")
        let directory = try TemporaryDirectory()
        let name = "\(EndToEnd.prefix)-nolibvirt-lib"
        let standIn = try Self.startStandIn(named: name, in: directory.path)

        let port = Kernel.freeLoopbackPort()
        var env = EndToEnd.env
        env["LIBVIRT_URI"] = "qemu:///system"
        env["PROCFS_DISCOVERY"] = "true"
        env["PORT"] = String(port)
        env["BIND_ADDRESS"] = "127.0.0.1"
        let envFile = directory.path + "/agent.env"
        try env.map { "\($0.key)=\($0.value)" }.joined(separator: "\n").write(toFile: envFile, atomically: true, encoding: .utf8)
        let log = directory.path + "/agent.log"
        // In a mount namespace of its own, the library file reads as empty: dlopen fails as it
        // would on a host without libvirt0. unshare and sh exec the agent, so the pid is the agent's.
        let agent = try ChildProcess(
            "cinergy", executable: unshare,
            arguments: [
                "--mount", "--propagation", "private", "/bin/sh", "-c",
                #"mount --bind /dev/null "$(readlink -f "$1")" && exec "$2" --env-file "$3""#,
                "sh", library, AgentUnderTest.binary, envFile,
            ],
            logFile: log
        )
        let client = AgentClient(port: port)
        let deadline = Date().addingTimeInterval(60)
        var libvirt: [String: Any] = [:]
        var found = false
        while Date() < deadline {
            try #require(agent.isRunning, "the agent exited: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            found = await client.vms().contains { $0["name"] as? String == name && $0["pid"] as? Int == Int(standIn.pid) }
            let health = await Self.health(port: port)
            libvirt = (health["sources"] as? [String: Any])?["libvirt"] as? [String: Any] ?? [:]
            if found, libvirt["last_error"] is String { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(found, "the stand-in is served from the procfs scan")
        #expect(libvirt["available"] as? Bool == false)
        let error = try #require(libvirt["last_error"] as? String, "\(libvirt)")
        #expect(error.contains("libvirt.so.0") && error.contains("install libvirt0"), "\(error)")
        let maps = try #require(Kernel.readProcFile("/proc/\(agent.pid)/maps"))
        #expect(maps.contains("libc.so") && !maps.contains("libvirt"), "\(maps)")
        #expect(agent.isRunning)
    }
}
