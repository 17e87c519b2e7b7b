import CinergyCore

extension VMRegistry {
    /// The processes the sampler would read (``VMRegistry/versionedProcesses()`` without the version).
    func processes() -> [ProcessIdentity] {
        versionedProcesses().processes
    }
}
