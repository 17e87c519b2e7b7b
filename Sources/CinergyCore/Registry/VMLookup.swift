/// The answer to a lookup by name, UUID or PID.
public enum VMLookup: Sendable, Equatable {
    case found(VMRecord)
    /// Several VMs share the name asked for.
    case ambiguous([VMRecord])
    case notFound
}
