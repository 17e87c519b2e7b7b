/// What one registry update changed.
public struct RegistryChanges: Sendable {
    public var added: [VMIdentity] = []
    public var removed: [VMIdentity] = []
    public var updated: [(old: VMIdentity, new: VMIdentity)] = []

    public init(added: [VMIdentity] = [], removed: [VMIdentity] = [], updated: [(old: VMIdentity, new: VMIdentity)] = []) {
        self.added = added
        self.removed = removed
        self.updated = updated
    }

    public var isEmpty: Bool { added.isEmpty && removed.isEmpty && updated.isEmpty }
}
