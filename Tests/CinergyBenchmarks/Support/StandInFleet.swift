import CinergySystem
import CinergyTestSupport
import Foundation

/// Many idle stand-in QEMUs (`CINERGY_STANDIN_IDLE=1`: each `pause()`s) with real QEMU command
/// lines, named `<run prefix>-<label><index>`. All are killed when the fleet goes away.
final class StandInFleet {
    let label: String
    let children: [ChildProcess]

    /// The name every member's `-name` starts with.
    var namePrefix: String { "\(EndToEnd.prefix)-\(label)" }
    var pids: [Int32] { children.map(\.pid) }
    func name(_ index: Int) -> String { "\(namePrefix)\(index)" }

    init(count: Int, label: String, directory: String) throws {
        self.label = label
        try Self.checkLimits(adding: count)
        let executable = try StandIn.build(in: directory)
        let prefix = "\(EndToEnd.prefix)-\(label)"
        var children: [ChildProcess] = []
        children.reserveCapacity(count)
        for index in 0..<count {
            let name = "\(prefix)\(index)"
            let uuid = "0c1e5a0e-0000-4000-a000-\(String(format: "%012x", index))"
            children.append(
                try ChildProcess(
                    name,
                    executable: executable,
                    arguments: [
                        "-name", "guest=\(name),debug-threads=on", "-S", "-machine", "pc-i440fx-7.2,usb=off,dump-guest-core=off",
                        "-accel", "tcg", "-cpu", "qemu64", "-m", "size=65536k", "-overcommit", "mem-lock=off",
                        "-smp", "2,sockets=2,cores=1,threads=1", "-uuid", uuid, "-no-user-config", "-nodefaults",
                        "-display", "none", "-rtc", "base=utc", "-no-shutdown", "-boot", "strict=on",
                        "-device", "{\"driver\":\"piix3-usb-uhci\",\"id\":\"usb\",\"bus\":\"pci.0\",\"addr\":\"0x1.0x2\"}",
                        "-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny", "-msg", "timestamp=on",
                    ],
                    environment: ["CINERGY_STANDIN_IDLE": "1"]
                )
            )
        }
        self.children = children
    }

    /// Fails early, with the limit named, when the host cannot take `count` more processes.
    static func checkLimits(adding count: Int) throws {
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(__RLIMIT_NPROC.rawValue), &limit)
        let running = try FileManager.default.contentsOfDirectory(atPath: "/proc").filter { Int($0) != nil }.count
        if limit.rlim_cur != rlim_t.max, Int(limit.rlim_cur) < running + count + 100 {
            throw TestFailure("RLIMIT_NPROC (ulimit -u) is \(limit.rlim_cur): too low for \(count) stand-ins beside \(running) processes")
        }
        if let pidMax = Int((try? String(contentsOfFile: "/proc/sys/kernel/pid_max", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""),
            pidMax < running + count + 100
        {
            throw TestFailure("kernel.pid_max is \(pidMax): too low for \(count) stand-ins")
        }
    }
}
