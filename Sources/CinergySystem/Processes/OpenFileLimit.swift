/// The agent's limit on open files (`RLIMIT_NOFILE`).
///
/// The sampler keeps each VM's `/proc/PID/stat` open, so the agent holds one descriptor per VM on
/// top of its sockets and libvirt's. systemd starts services with a soft limit of 1,024 (and a hard
/// limit of 524,288), and so do most login shells: on a host with about a thousand VMs the agent
/// would run out, and a VM whose stat file cannot be opened is taken for gone. As systemd advises
/// for programs that need many descriptors, the agent raises its soft limit to the hard one at
/// start-up. The agent never uses `select()`, so descriptors above 1,023 are safe.
public enum OpenFileLimit {
    /// What `raise()` did.
    public struct Change: Sendable, Equatable {
        /// The soft limit found at start-up.
        public var before: UInt64
        /// The soft limit now.
        public var after: UInt64
    }

    /// Raises the soft limit on open files to the hard limit (capped at 1,048,576, the kernel's
    /// default `fs.nr_open`), with `getrlimit` and `setrlimit`. Returns the limits before and after;
    /// `after` equals `before` when the limit was already there or could not be raised.
    @discardableResult
    public static func raise() -> Change {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return Change(before: 0, after: 0) }
        let before = UInt64(limit.rlim_cur)
        let target = min(limit.rlim_max, rlim_t(1 << 20))
        guard limit.rlim_cur < target else { return Change(before: before, after: before) }
        var raised = limit
        raised.rlim_cur = target
        guard setrlimit(resource, &raised) == 0 else { return Change(before: before, after: before) }
        return Change(before: before, after: UInt64(target))
    }

    #if canImport(Glibc)
    private static var resource: __rlimit_resource_t { __rlimit_resource_t(RLIMIT_NOFILE.rawValue) }
    #else
    private static var resource: Int32 { RLIMIT_NOFILE }
    #endif
}
