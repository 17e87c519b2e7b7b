/// What the polynomial `f` is evaluated at.
public enum ModelInput: String, Sendable, CaseIterable {
    /// `f(cpu_usage)`: the VM's usage in percent of one host CPU (the seed's formula).
    case vmPercent = "vm_percent"
    /// `f(cpu_usage / server_cores)`: the VM's share of the whole host, in percent,
    /// which is what models fitted on host load expect.
    case hostPercent = "host_percent"
}
