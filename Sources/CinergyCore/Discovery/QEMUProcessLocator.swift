/// Finds the QEMU process behind a VM another source (libvirt) knows by name and UUID.
///
/// libvirt has no API that returns the QEMU PID. Its QEMU driver writes it to `NAME.pid` in its run
/// directory (`/run/libvirt/qemu` for `qemu:///system`); PIDs are reused, so the process there is
/// accepted only if its command line is a QEMU one naming the same UUID (or, without `-uuid`, the
/// same guest name). When the file is missing or unreadable (another run directory, no permission),
/// the procfs scan is searched for a QEMU with that UUID instead.
public struct QEMUProcessLocator: Sendable {
    public let procfs: ProcFS
    /// Where libvirt writes `NAME.pid`; nil to rely on the procfs search alone.
    public let pidDirectory: String?

    public init(procfs: ProcFS, pidDirectory: String? = "/run/libvirt/qemu") {
        self.procfs = procfs
        self.pidDirectory = pidDirectory
    }

    /// A located process and what its command line says.
    public struct Located: Sendable, Equatable {
        public var process: ProcessIdentity
        public var commandLine: QEMUCommandLine
    }

    /// The QEMU process running the VM named `name` with UUID `uuid`, if one runs.
    public func locate(name: String, uuid: String) -> Located? {
        let uuid = uuid.lowercased()
        if let pidDirectory, let pid = readPIDFile("\(pidDirectory)/\(name).pid"),
            let located = validate(pid: pid, name: name, uuid: uuid)
        {
            return located
        }
        for pid in procfs.processIDs() {
            if let located = validate(pid: pid, name: name, uuid: uuid), located.commandLine.uuid == uuid {
                return located
            }
        }
        return nil
    }

    /// The process `pid` if it is a QEMU for this VM.
    func validate(pid: Int32, name: String, uuid: String) -> Located? {
        guard let arguments = procfs.commandLine(of: pid), let commandLine = QEMUCommandLine(arguments: arguments) else {
            return nil
        }
        let matches = commandLine.uuid.map { $0 == uuid } ?? (commandLine.name == name)
        guard matches, let stat = procfs.stat(of: pid) else { return nil }
        return Located(process: ProcessIdentity(pid: pid, startTimeTicks: stat.startTimeTicks), commandLine: commandLine)
    }

    func readPIDFile(_ path: String) -> Int32? {
        guard let bytes = procfs.readFile(path, limit: 64),
            let text = String(validating: bytes, as: UTF8.self)
        else { return nil }
        let trimmed = text.filter { !$0.isWhitespace }
        guard let pid = Int32(trimmed), pid > 0 else { return nil }
        return pid
    }
}
