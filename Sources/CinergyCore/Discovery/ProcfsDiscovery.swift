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
    public func scan() -> [VMIdentity] {
        var found: [VMIdentity] = []
        for pid in procfs.processIDs() {
            guard let arguments = procfs.commandLine(of: pid),
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
