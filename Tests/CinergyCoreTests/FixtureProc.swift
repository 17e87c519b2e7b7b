import Foundation

/// A fake procfs tree in a temporary directory: `PID/cmdline` and `PID/stat` files written by tests.
final class FixtureProc {
    let root: URL

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("cinergy-proc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        // Entries procfs has that are not processes.
        for name in ["self", "sys", "cpuinfo", "1a"] {
            try Data().write(to: root.appendingPathComponent(name))
        }
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    var path: String { root.path }

    /// Adds (or replaces) process `pid` with `arguments` as its command line.
    func addProcess(
        pid: Int32, arguments: [String], comm: String = "qemu-system-x86", cpuTicks: UInt64 = 0, startTime: UInt64 = 1000
    ) throws {
        let directory = root.appendingPathComponent(String(pid))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var cmdline = Data()
        for argument in arguments {
            cmdline.append(contentsOf: Array(argument.utf8))
            cmdline.append(0)
        }
        try cmdline.write(to: directory.appendingPathComponent("cmdline"))
        try setStat(pid: pid, comm: comm, cpuTicks: cpuTicks, startTime: startTime)
    }

    /// Writes raw bytes as a process's command line.
    func setRawCommandLine(pid: Int32, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: root.appendingPathComponent("\(pid)/cmdline"))
    }

    /// Rewrites `/proc/PID/stat` in place (same file, as the kernel's view changes under an open fd).
    func setStat(pid: Int32, comm: String = "qemu-system-x86", state: String = "S", cpuTicks: UInt64, startTime: UInt64) throws {
        let user = cpuTicks / 2
        let system = cpuTicks - user
        // Fields 1..22 as the kernel writes them; 14 = utime, 15 = stime, 22 = starttime.
        let line =
            "\(pid) (\(comm)) \(state) 1 \(pid) \(pid) 0 -1 4194560 1000 0 0 0 \(user) \(system) 0 0 20 0 3 0 \(startTime) 123456789 2000 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 17 1 0 0 0 0 0\n"
        let url = root.appendingPathComponent("\(pid)/stat")
        if let handle = try? FileHandle(forWritingTo: url) {
            try handle.truncate(atOffset: 0)
            try handle.write(contentsOf: Data(line.utf8))
            try handle.close()
        } else {
            try Data(line.utf8).write(to: url)
        }
    }

    func removeProcess(pid: Int32) throws {
        try FileManager.default.removeItem(at: root.appendingPathComponent(String(pid)))
    }
}
