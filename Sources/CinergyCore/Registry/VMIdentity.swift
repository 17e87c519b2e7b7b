/// Where the registry learned about a VM.
public enum VMSource: String, Sendable, CaseIterable, Codable {
    /// A QEMU process found by scanning procfs (the fallback source).
    case procfs
    /// A libvirt domain (the authoritative source when libvirt manages the VM).
    case libvirt
}

/// A VM's run state as far as the agent knows.
public enum VMState: String, Sendable, Codable {
    case running
    /// Paused or suspended: its CPU usage reads 0.
    case paused
}

/// Who a VM is: everything the registry knows about it except its samples.
public struct VMIdentity: Sendable, Equatable {
    public var name: String
    /// Lowercase canonical UUID, when known.
    public var uuid: String?
    /// The QEMU process running the VM; nil while a source knows the VM but not its process
    /// (libvirt's test driver, a pid file not yet readable).
    public var process: ProcessIdentity?
    public var vcpus: Int
    public var source: VMSource
    public var state: VMState
    /// OpenStack's names for the VM, when libvirt's domain carries Nova metadata.
    public var nova: NovaInstance?

    public init(
        name: String,
        uuid: String?,
        process: ProcessIdentity?,
        vcpus: Int,
        source: VMSource,
        state: VMState = .running,
        nova: NovaInstance? = nil
    ) {
        self.name = name
        self.uuid = uuid
        self.process = process
        self.vcpus = vcpus
        self.source = source
        self.state = state
        self.nova = nova
    }
}

/// What identifies a registry entry: a libvirt domain by its UUID (it outlives renames and
/// reconnects), a VM found by the procfs scan by its process.
public enum VMKey: Hashable, Sendable {
    case domain(uuid: String)
    case process(ProcessIdentity)
}

extension VMIdentity {
    /// The QEMU process's ID, when known.
    public var pid: Int32? { process?.pid }

    /// The registry key of this VM.
    public var key: VMKey {
        switch source {
        case .libvirt:
            return .domain(uuid: uuid ?? name)
        case .procfs:
            if let process { return .process(process) }
            return .domain(uuid: uuid ?? name)
        }
    }
}
