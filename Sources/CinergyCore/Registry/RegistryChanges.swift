/// What one registry update changed.
public struct RegistryChanges: Sendable {
    public var added: [VMIdentity] = []
    public var removed: [VMIdentity] = []
    public var updated: [(old: VMIdentity, new: VMIdentity)] = []

    public init() {}

    public var isEmpty: Bool { added.isEmpty && removed.isEmpty && updated.isEmpty }
}
