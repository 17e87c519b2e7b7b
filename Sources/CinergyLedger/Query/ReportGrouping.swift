/// What one line of a report is: a VM, or a Nova project's VMs together.
public enum ReportGrouping: String, Sendable, CaseIterable {
    case vm
    /// One line per Nova project ID; a VM without Nova metadata has a line of its own.
    case project
}
