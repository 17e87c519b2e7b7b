import CinergyTestSupport
import Foundation

/// One host's view of this machine's processes, for `PROC_ROOT`: a directory holding a symbolic
/// link to each of `/proc`'s entries that is not a process (`stat`, `sys`, `self`…) and to the
/// processes added (`/proc/PID`). Agents given different views are different hosts running
/// different VMs (real QEMU stand-ins, read through the real procfs); without it every agent on
/// this machine would account every stand-in.
final class ProcView {
    let path: String

    init(_ path: String) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for entry in try FileManager.default.contentsOfDirectory(atPath: "/proc") where Int(entry) == nil {
            try FileManager.default.createSymbolicLink(atPath: "\(path)/\(entry)", withDestinationPath: "/proc/\(entry)")
        }
    }

    /// The process `pid` shows in the view.
    func add(_ pid: Int32) throws {
        try FileManager.default.createSymbolicLink(atPath: "\(path)/\(pid)", withDestinationPath: "/proc/\(pid)")
    }

    /// The process `pid` no longer shows (nothing when it was not there).
    func remove(_ pid: Int32) throws {
        if (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(path)/\(pid)")) != nil {
            try FileManager.default.removeItem(atPath: "\(path)/\(pid)")
        }
    }
}
