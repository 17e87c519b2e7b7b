extension VMIdentity {
    /// What the ledger and the accounts key a VM by: its UUID where there is one (it survives
    /// renames and a VM's stop and start), else `name:` and its name.
    public var ledgerKey: String {
        if let uuid { return uuid }
        return "name:" + name
    }
}
