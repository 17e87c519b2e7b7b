/// What ``VMRegistry/reconcile(source:observed:nowUnixSeconds:)`` did with a source's list.
public struct Reconciliation: Sendable {
    /// True when the list was the one the source reconciled last and the registry's membership had
    /// not moved since: the registry then skipped the work, and nothing changed (the procfs scan
    /// reports the same VMs round after round). False when the list was applied.
    ///
    /// A caller that keeps state derived from the list it reconciled last (the sample collector's
    /// table of scanned QEMUs) may keep that state as it is when this is true.
    public var isRepeat: Bool
    /// What applying the list changed; empty for a repeat.
    public var changes: RegistryChanges

    public init(isRepeat: Bool, changes: RegistryChanges) {
        self.isRepeat = isRepeat
        self.changes = changes
    }
}
