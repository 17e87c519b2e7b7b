import CinergySystem

/// The host's CPUs, as the kernel reports them.
public enum HostCPUs {
    /// The number of online CPUs (`sysconf(_SC_NPROCESSORS_ONLN)`), at least 1.
    public static func onlineCount() -> Int {
        max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }
}
