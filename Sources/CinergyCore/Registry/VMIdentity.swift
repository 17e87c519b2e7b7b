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
    /// The QEMU process running the VM.
    public var process: ProcessIdentity
    public var vcpus: Int
    public var source: VMSource
    public var state: VMState

    public init(
        name: String,
        uuid: String?,
        process: ProcessIdentity,
        vcpus: Int,
        source: VMSource,
        state: VMState = .running
    ) {
        self.name = name
        self.uuid = uuid
        self.process = process
        self.vcpus = vcpus
        self.source = source
        self.state = state
    }
}
