/// Finds the QEMU processes on the host by scanning procfs: the fallback VM source, for QEMUs that
/// libvirt does not manage and while libvirt is unreachable.
public struct ProcfsDiscovery: Sendable {
    public let procfs: ProcFS

    public init(procfs: ProcFS) {
        self.procfs = procfs
    }

    /// Every QEMU system emulator running now, as procfs identities.
    ///
    /// A VM is named after `-name`; without one, after its `-uuid`; without either, `qemu-PID`.
    /// Processes that vanish mid-scan, and command lines that are malformed, truncated or not
    /// UTF-8, are skipped or read as far as they go: nothing stops the scan.
    ///
    /// `known` holds QEMUs found by earlier scans whose process the caller has since verified (the
    /// sampler re-reads each one's stat every round and drops those that exited or whose PID was
    /// reused): their command lines are not read again, so a scan costs one directory listing plus
    /// reads for new processes only. Of a process that is not a QEMU, only the start of the command
    /// line (its executable) is read and decoded.
    public func scan(known: [Int32: VMIdentity] = [:]) -> [VMIdentity] {
        var found: [VMIdentity] = []
        for pid in procfs.processIDs() {
            if let identity = known[pid] {
                found.append(identity)
                continue
            }
            guard let arguments = procfs.commandLine(of: pid, ifExecutable: QEMUCommandLine.isEmulator),
                let commandLine = QEMUCommandLine(arguments: arguments),
                let stat = procfs.stat(of: pid), !stat.hasExited
            else { continue }
            found.append(
                VMIdentity(
                    name: commandLine.name ?? commandLine.uuid ?? "qemu-\(pid)",
                    uuid: commandLine.uuid,
                    process: ProcessIdentity(pid: pid, startTimeTicks: stat.startTimeTicks),
                    vcpus: commandLine.vcpus,
                    source: .procfs
                )
            )
        }
        return found
    }
}
