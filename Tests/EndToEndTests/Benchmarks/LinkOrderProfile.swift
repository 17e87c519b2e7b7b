import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Writes the link order of the executable (`Sources/cinergy/HotFunctions.order`): the functions
/// the release agent runs, from start-up to shutdown, while it tracks stand-in QEMUs and a libvirt
/// domain and answers every endpoint. The linker places them first and together, so that the few
/// megabytes of code the agent runs are not spread over the 23 MB of code it links (the kernel maps
/// code 64 kB around each page touched, and those pages count in its resident memory;
/// docs/BENCHMARKS.md). Runs the agent under valgrind's callgrind, which lists every function
/// executed. Not a test: runs only with `CINERGY_LINK_ORDER_OUTPUT` set (`make link-order`).
@Suite(
    "Profile: link order of the executable", .serialized,
    .enabled(if: ProcessInfo.processInfo.environment["CINERGY_LINK_ORDER_OUTPUT"] != nil)
)
struct LinkOrderProfile {
    @Test("the functions the agent runs, in callgrind's profile of a full workload")
    func profile() async throws {
        let output = try #require(ProcessInfo.processInfo.environment["CINERGY_LINK_ORDER_OUTPUT"])
        let valgrind = try #require(Kernel.which("valgrind"), "valgrind is missing: run `make link-order`")
        let objcopy = try #require(Kernel.which("objcopy"), "objcopy (binutils) is missing")
        let nm = try #require(Kernel.which("nm"), "nm (binutils) is missing")
        try #require(await Virsh.isUp(), "libvirtd is not running on qemu:///system: run `make link-order`")
        let directory = try TemporaryDirectory()

        // valgrind cannot read the DWARF of this toolchain; the symbol table is all it needs.
        let stripped = directory.path + "/cinergy"
        try Self.run(objcopy, ["--strip-debug", AgentUnderTest.binary, stripped])

        let fleet = try StandInFleet(count: 20, label: "order", directory: directory.path)
        let janitor = DomainJanitor()
        let domain = TestDomain(
            name: "\(AgentEndToEndTests.prefix)-order", vcpus: 1,
            metadata: """
                <nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.1"><nova:name>web</nova:name>\
                <nova:flavor name="m1.tiny"/><nova:owner><nova:user uuid="u">alice</nova:user>\
                <nova:project uuid="p">retail</nova:project></nova:owner></nova:instance>
                """
        )
        janitor.track(domain)
        try await domain.create(in: directory.path)

        let port = Kernel.freeLoopbackPort()
        let env = AgentEndToEndTests.env.merging([
            "LIBVIRT_URI": Virsh.uri, "PROCFS_DISCOVERY": "true", "METRICS_NOVA_LABELS": "true", "LOG_LEVEL": "info",
            "PORT": String(port), "BIND_ADDRESS": "127.0.0.1",
        ]) { $1 }
        let envFile = directory.path + "/agent.env"
        try env.map { "\($0.key)=\($0.value)" }.joined(separator: "\n").write(toFile: envFile, atomically: true, encoding: .utf8)
        let profile = directory.path + "/callgrind.out"
        let log = directory.path + "/agent.log"
        let agent = try ChildProcess(
            "cinergy", executable: valgrind,
            arguments: ["--tool=callgrind", "--demangle=no", "--callgrind-out-file=\(profile)", stripped, "--env-file", envFile],
            logFile: log
        )
        func logText() -> String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

        // Everything the agent serves, once it sees every VM: the slow start under valgrind is expected.
        let names = [domain.name] + (0..<3).map(fleet.name)
        let deadline = Date().addingTimeInterval(300)
        while true {
            try #require(agent.isRunning, "the agent exited under valgrind:\n\(logText())")
            try #require(Date() < deadline, "the agent did not list the VMs within 300 s:\n\(logText())")
            if let response = try? HTTPProbe.get(port: port, path: "/vms", timeoutSeconds: 30),
                case let body = String(decoding: response.body, as: UTF8.self),
                names.allSatisfy({ body.contains("\"\($0)\"") })
            {
                break
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        let paths = [
            "/power?vm=\(domain.name)", "/carbon?vm=\(domain.name)", "/power?vm=\(fleet.name(1))", "/vms", "/metrics",
            "/health", "/history?vm=\(domain.name)", "/openapi.yaml", "/", "/power?vm=absent", "/power", "/nothing",
        ]
        for _ in 0..<3 {
            for path in paths {
                _ = try? HTTPProbe.get(port: port, path: path, timeoutSeconds: 30)
            }
            try await Task.sleep(for: .seconds(2))
        }
        // A lifecycle event, then shutdown, which is where callgrind writes its profile.
        await domain.destroy()
        try await Task.sleep(for: .seconds(3))
        agent.signal(SIGTERM)
        let status = await agent.waitForExit(seconds: 120)
        try #require(status != nil, "the agent did not exit on SIGTERM under valgrind")

        // Function names: `fn=(id) name` and `cfn=(id) name` lines define them.
        let profileText = try String(contentsOfFile: profile, encoding: .utf8)
        var executed = Set<String>()
        for line in profileText.split(separator: "\n") where line.hasPrefix("fn=(") || line.hasPrefix("cfn=(") {
            if let space = line.firstIndex(of: " ") {
                executed.insert(String(line[line.index(after: space)...]))
            }
        }
        // Only the binary's own code: what the linker can place.
        let symbols = try Self.run(nm, ["--defined-only", AgentUnderTest.binary])
        var code = Set<String>()
        for line in symbols.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 3, ["t", "T", "w", "W"].contains(fields[1]) { code.insert(String(fields[2])) }
        }
        let order = executed.intersection(code).sorted()
        try #require(order.count > 1000, "only \(order.count) functions of the binary in the profile")
        try (order.joined(separator: "\n") + "\n").write(toFile: output, atomically: true, encoding: .utf8)
        print("LINK ORDER: \(order.count) functions of \(code.count) written to \(output)")
    }

    /// Runs `executable` to completion; its standard output, or a failure with the status.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        let pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestFailure("\(executable) \(arguments.joined(separator: " ")) exited with \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
