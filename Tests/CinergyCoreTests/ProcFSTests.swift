@testable import CinergyCore
import Testing

@Suite("procfs reading and discovery")
struct ProcFSTests {
    @Test("stat lines parse, even with spaces and parentheses in the command name")
    func statParsing() {
        let lines = [
            "4242 (qemu-system-x86) S 1 4242 4242 0 -1 4194560 1 0 0 0 150 50 0 0 20 0 3 0 98765 1 2 3\n",
            "4242 (a) b) (c d) S 1 4242 4242 0 -1 4194560 1 0 0 0 150 50 0 0 20 0 3 0 98765 1 2 3\n",
            "4242 (x) R 1 2 3 4 5 6 7 8 9 10 150 50 0 0 20 0 3 0 98765",
        ]
        for line in lines {
            let stat = Array(line.utf8).withUnsafeBytes { ProcessStat(statLine: $0) }
            #expect(stat.map { ($0.userTicks, $0.systemTicks, $0.startTimeTicks) } ?? (0, 0, 0) == (150, 50, 98765), "\(line)")
        }
        for bad in ["", "4242 (x) S 1 2", "no parens at all 1 2 3", "1 (x) S 1 2 3 4 5 6 7 8 9 10 abc 50 0 0 20 0 3 0 9"] {
            #expect(Array(bad.utf8).withUnsafeBytes { ProcessStat(statLine: $0) } == nil, "\(bad)")
        }
    }

    @Test("discovery finds QEMUs in a fixture tree and skips everything else")
    func discovery() throws {
        let proc = try FixtureProc()
        try proc.addProcess(pid: 100, arguments: ["/usr/bin/qemu-system-x86_64", "-name", "guest=alpha,debug-threads=on", "-smp", "2", "-uuid", "11111111-2222-3333-4444-555555555555"], startTime: 500)
        try proc.addProcess(pid: 101, arguments: ["/usr/libexec/qemu-kvm", "-uuid", "aaaaaaaa-2222-3333-4444-555555555555"])
        try proc.addProcess(pid: 102, arguments: ["qemu-system-aarch64", "-m", "64"])
        try proc.addProcess(pid: 200, arguments: ["/usr/sbin/virtqemud", "--timeout", "120"], comm: "virtqemud")
        try proc.addProcess(pid: 201, arguments: ["/usr/sbin/libvirtd"], comm: "libvirtd")
        try proc.addProcess(pid: 202, arguments: [], comm: "kthreadd")
        try proc.addProcess(pid: 203, arguments: ["qemu-img", "info", "x.qcow2"], comm: "qemu-img")

        let found = ProcfsDiscovery(procfs: ProcFS(root: proc.path)).scan().sorted { ($0.pid ?? 0) < ($1.pid ?? 0) }
        #expect(found.map(\.name) == ["alpha", "aaaaaaaa-2222-3333-4444-555555555555", "qemu-102"])
        #expect(found.map(\.vcpus) == [2, 1, 1])
        #expect(found[0].uuid == "11111111-2222-3333-4444-555555555555")
        #expect(found[0].process == ProcessIdentity(pid: 100, startTimeTicks: 500))
        #expect(found.allSatisfy { $0.source == .procfs && $0.state == .running })
    }

    @Test("malformed, truncated, enormous and non-UTF-8 command lines never stop discovery")
    func hostileCommandLines() throws {
        let proc = try FixtureProc()
        try proc.addProcess(pid: 10, arguments: ["x"])
        try proc.setRawCommandLine(pid: 10, [0xFF, 0xFE, 0x00, 0xC3, 0x28, 0x00])
        try proc.addProcess(pid: 11, arguments: ["x"])
        try proc.setRawCommandLine(pid: 11, Array("qemu-system-x86_64\0-name\0guest=trunc".utf8))  // no final NUL
        try proc.addProcess(pid: 12, arguments: ["qemu-system-x86_64", "-name", String(repeating: "n", count: 3_000_000)])
        try proc.addProcess(pid: 13, arguments: ["x"])
        try proc.setRawCommandLine(pid: 13, Array("qemu-system-x86_64\0-name\0guest=bad\u{FF}".utf8) + [0xFF, 0x00])
        try proc.addProcess(pid: 14, arguments: ["qemu-system-x86_64", "-name", "good"])
        try proc.addProcess(pid: 15, arguments: ["x"])
        try proc.setRawCommandLine(pid: 15, [])

        let names = Set(ProcfsDiscovery(procfs: ProcFS(root: proc.path)).scan().map(\.name))
        #expect(names.contains("trunc"))
        #expect(names.contains("good"))
        #expect(names.contains("bad\u{FF}\u{FFFD}"))
        // The enormous command line is cut at the limit; the VM is still found, its name cut too.
        #expect(names.contains { $0.hasPrefix("nnnn") && $0.count < ProcFS.commandLineLimitBytes })
        #expect(names.count == 4)
    }

    @Test("a command line is read in full only when its executable is accepted")
    func commandLineIfExecutable() throws {
        let proc = try FixtureProc()
        let long = String(repeating: "a", count: 100_000)
        try proc.addProcess(pid: 20, arguments: ["/usr/bin/qemu-system-x86_64", "-name", long])
        try proc.addProcess(pid: 21, arguments: ["/usr/bin/swift-frontend", "-frontend", long])
        try proc.addProcess(pid: 22, arguments: ["x"])
        try proc.setRawCommandLine(pid: 22, Array("qemu-system-x86_64 -name one-string".utf8))  // no NUL at all
        let procfs = ProcFS(root: proc.path)
        var asked: [String] = []
        let accepted = procfs.commandLine(of: 20) { asked.append($0); return QEMUCommandLine.isEmulator($0) }
        #expect(accepted == procfs.commandLine(of: 20))
        #expect(asked == ["/usr/bin/qemu-system-x86_64"])
        #expect(procfs.commandLine(of: 21, ifExecutable: QEMUCommandLine.isEmulator) == nil)
        #expect(procfs.commandLine(of: 21, ifExecutable: { _ in true }) == procfs.commandLine(of: 21))
        #expect(procfs.commandLine(of: 22, ifExecutable: { $0 == "qemu-system-x86_64 -name one-string" }) == ["qemu-system-x86_64 -name one-string"])
        #expect(procfs.commandLine(of: 22, ifExecutable: { _ in false }) == nil)
        #expect(procfs.commandLine(of: 99, ifExecutable: { _ in true }) == nil)
    }

    @Test("a missing procfs root yields no processes rather than an error")
    func missingRoot() {
        #expect(ProcFS(root: "/nonexistent/cinergy").processIDs().isEmpty)
    }
}
