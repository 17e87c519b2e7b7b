import CinergySystem
import CinergyTestSupport
import Foundation
import Testing

/// The built agent against real processes: a stand-in QEMU burning one core and a real QEMU TCG VM.
@Suite("End to end: the real binary, real QEMU processes", .serialized)
struct AgentEndToEndTests {
    static func f(_ x: Double) -> Double { 50 + 0.5 * x + 0.001 * x * x }

    /// A raw disk whose boot sector spins forever (`jmp $`): the guest keeps one host core busy.
    static func spinningBootSector(in directory: String) throws -> String {
        var bytes = [UInt8](repeating: 0, count: 512)
        bytes[0] = 0xEB
        bytes[1] = 0xFE
        bytes[510] = 0x55
        bytes[511] = 0xAA
        let path = directory + "/spin.img"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("a stand-in QEMU and a real TCG VM: found, sampled as the kernel counts, priced by the formula, dropped on exit")
    func realProcesses() async throws {
        let directory = try TemporaryDirectory()
        let qemuPath = try #require(Kernel.which("qemu-system-x86_64"), "qemu-system-x86_64 is not installed: run `make test`")

        // The stand-in: a busy loop compiled here, run under a QEMU name with a real QEMU command line.
        let standInName = "\(EndToEnd.prefix)-standin"
        let standInUUID = "0c1e5a0e-0000-4000-8000-\(String(format: "%012x", Int.random(in: 0..<(1 << 40))))"
        let standInExecutable = try StandIn.build(in: directory.path)
        let standIn = try ChildProcess(
            standInName,
            executable: standInExecutable,
            arguments: [
                "-name", "guest=\(standInName),debug-threads=on", "-S", "-machine", "pc-i440fx-7.2,usb=off", "-accel", "tcg",
                "-m", "64", "-smp", "sockets=2,cores=2,threads=1", "-uuid", standInUUID, "-display", "none", "-no-user-config",
                "-nodefaults",
            ]
        )
        // The real VM: QEMU under TCG booting the spinning sector.
        let vmName = "\(EndToEnd.prefix)-tcg"
        let vmUUID = "0c1e5a0e-0000-4000-9000-\(String(format: "%012x", Int.random(in: 0..<(1 << 40))))"
        let vm = try ChildProcess(
            vmName,
            executable: qemuPath,
            arguments: [
                "-accel", "tcg", "-name", "guest=\(vmName),debug-threads=on", "-smp", "2", "-m", "32", "-uuid", vmUUID,
                "-display", "none", "-nodefaults", "-no-user-config",
                "-drive", "file=\(try Self.spinningBootSector(in: directory.path)),format=raw,if=floppy",
            ],
            logFile: directory.path + "/qemu.log"
        )
        let agent = try AgentUnderTest(env: EndToEnd.env, directory: directory.path)

        // Both appear, with usage, under their names, UUIDs and vCPU counts.
        try await agent.waitFor("both VMs with a usage in /vms") {
            let vms = await agent.vms()
            return [standInName, vmName].allSatisfy { name in
                vms.contains { $0["name"] as? String == name && $0["cpu_usage"] is Double }
            }
        }
        let listed = await agent.vms()
        let standInEntry = try #require(listed.first { $0["name"] as? String == standInName })
        #expect(standInEntry["uuid"] as? String == standInUUID)
        #expect(standInEntry["vcpus"] as? Int == 4)
        #expect(standInEntry["pid"] as? Int == Int(standIn.pid))
        #expect(standInEntry["source"] as? String == "procfs")
        let vmEntry = try #require(listed.first { $0["name"] as? String == vmName })
        #expect(vmEntry["uuid"] as? String == vmUUID)
        #expect(vmEntry["vcpus"] as? Int == 2)
        #expect(vmEntry["pid"] as? Int == Int(vm.pid))

        // cpu_usage matches what the kernel counts for each process over the same window.
        for (name, pid) in [(standInName, standIn.pid), (vmName, vm.pid)] {
            try await UsageCheck.compare(agent: agent, name: name, reference: "the kernel") {
                guard let ticks = Kernel.cpuTicks(pid: pid) else { throw TestFailure("\(name) is gone") }
                return ticks / Kernel.ticksPerSecond
            }
        }

        // The power numbers follow the formula, and carbon follows the power.
        for name in [standInName, vmName] {
            let encoded = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let (status, json) = try await agent.get("/power?vm=\(encoded)")
            #expect(status == 200)
            let power = try #require(json as? [String: Any])
            let usage = try #require(power["cpu_usage"] as? Double)
            let cores = try #require(power["vm_cores"] as? Int)
            let staticWatts = try #require(power["static_power_watts"] as? Double)
            let dynamicWatts = try #require(power["dynamic_power_watts"] as? Double)
            let totalWatts = try #require(power["total_power_watts"] as? Double)
            #expect(abs(staticWatts - 50 * Double(cores) / 16) < 1e-9)
            #expect(abs(dynamicWatts - (Self.f(usage) - 50) * 0.75) < 1e-9)
            #expect(abs(totalWatts - (staticWatts + dynamicWatts)) < 1e-9)
            #expect(power["server_cores"] as? Int == 16)

            let (carbonStatus, carbonJSON) = try await agent.get("/carbon?vm=\(encoded)")
            #expect(carbonStatus == 200)
            let carbon = try #require(carbonJSON as? [String: Any])
            let watts = try #require(carbon["power_watts"] as? Double)
            let grams = try #require(carbon["carbon_intensity_gco2_per_hour"] as? Double)
            #expect(abs(grams - watts / 1000 * 1.3 * 50) < 1e-9)
        }

        // Each VM leaves when its process exits: the stand-in killed outright, QEMU shut down by signal.
        standIn.signal(SIGKILL)
        try await agent.waitFor("the stand-in to leave /vms", seconds: 15) {
            await !agent.vms().contains { $0["name"] as? String == standInName }
        }
        #expect(await agent.vms().contains { $0["name"] as? String == vmName })
        vm.signal(SIGTERM)
        try await agent.waitFor("the TCG VM to leave /vms", seconds: 15) {
            await !agent.vms().contains { $0["name"] as? String == vmName }
        }
        let (status, _) = try await agent.get("/power?vm=\(vmName)")
        #expect(status == 404)

        // SIGTERM stops the agent cleanly.
        agent.child.signal(SIGTERM)
        let exitStatus = await agent.child.waitForExit(seconds: 20)
        #expect(exitStatus == 0, "agent log:\n\(agent.log)")
    }

    @Test("a bad configuration stops start-up with exit status 78, naming variable, value and rule")
    func badConfiguration() async throws {
        let directory = try TemporaryDirectory()
        var env = EndToEnd.env
        env["CINERGY_RATIO"] = "1.5"
        env["SAMPLE_INTERVAL"] = "nan"
        let agent = try AgentUnderTest(env: env, directory: directory.path)
        let status = await agent.child.waitForExit(seconds: 30)
        #expect(status == 78)
        let log = agent.log
        #expect(log.contains("CINERGY_RATIO='1.5': must be a number from 0 to 1"), "\(log)")
        #expect(log.contains("SAMPLE_INTERVAL='nan'"), "\(log)")
        #expect(!log.contains("Fatal error") && !log.contains("Stack dump"), "\(log)")

        let missing = try ChildProcess(
            "cinergy", executable: AgentUnderTest.binary, arguments: ["--env-file", directory.path + "/absent.env"],
            logFile: directory.path + "/missing.log"
        )
        #expect(await missing.waitForExit(seconds: 30) == 78)
        let missingLog = (try? String(contentsOfFile: directory.path + "/missing.log", encoding: .utf8)) ?? ""
        #expect(missingLog.contains("absent.env"), "\(missingLog)")
    }
}
