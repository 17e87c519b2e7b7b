public import CinergyCore

/// The metered share: how the power a host meter measured splits among the VMs and the host
/// itself, the way Kepler and Scaphandre attribute it (what Cinergy serves beside the isolated
/// power, and names `attributed`):
///
/// ```
/// idle      = min(f(0), measured)                          the calibrated idle power
/// static_i  = idle × vcpus_i / max(server_cores, Σ vcpus)
/// dynamic_i = (measured − idle) × cpu_i / max(host busy, Σ cpu)
/// host own  = measured − Σ (static_i + dynamic_i)          ≥ 0: the rest is the host's
/// ```
///
/// with `cpu_i` the VM's CPU use and `host busy` all the host's busy CPU time over the same
/// interval, both in percent of one CPU. The VMs' shares plus the host's own add up to the
/// measured power exactly.
public struct MeteredShare: Sendable, Equatable {
    /// One VM's attributed power, and its isolated dynamic power for the observed ratio.
    public struct VMShare: Sendable, Equatable {
        public var key: VMKey
        public var name: String
        public var uuid: String?
        /// The VM's CPU use over the interval, in percent of one host CPU.
        public var cpuUsagePercent: Double
        /// Its share of the idle power, in watts.
        public var staticWatts: Double
        /// Its share of the power above idle, in watts.
        public var dynamicWatts: Double
        /// The model's isolated dynamic power of the VM before the cinergy ratio, max(0, f(x) − f(0)),
        /// in watts: what `dynamicWatts` is compared with for the observed ratio.
        public var isolatedDynamicWatts: Double
        /// Static + dynamic, in watts.
        public var totalWatts: Double { staticWatts + dynamicWatts }
    }

    /// One VM's use, as attribution needs it.
    public struct VMUse: Sendable, Equatable {
        public var key: VMKey
        public var name: String
        public var uuid: String?
        public var vcpus: Int
        public var cpuUsagePercent: Double
        public var isolatedDynamicWatts: Double

        public init(key: VMKey, name: String, uuid: String?, vcpus: Int, cpuUsagePercent: Double, isolatedDynamicWatts: Double) {
            self.key = key
            self.name = name
            self.uuid = uuid
            self.vcpus = vcpus
            self.cpuUsagePercent = cpuUsagePercent
            self.isolatedDynamicWatts = isolatedDynamicWatts
        }
    }

    /// What the meter measured, in watts.
    public var measuredWatts: Double
    /// The idle power shared out as static power, in watts.
    public var idleWatts: Double
    /// The VMs' shares, in the order given.
    public var vms: [VMShare]
    /// The host's own (non-VM) share, in watts.
    public var hostOwnWatts: Double

    /// Σ of the VMs' attributed power, in watts.
    public var vmsWatts: Double { vms.reduce(0) { $0 + $1.totalWatts } }

    /// The split of `measuredWatts` among `vms` on a host of `serverCores` CPUs whose busy CPU time
    /// over the interval was `hostBusyCPUPercent` (percent of one CPU: 150 is one and a half CPUs
    /// busy), with idle power `idleWatts` (`f(0)`).
    public static func attribute(
        measuredWatts: Double, idleWatts: Double, hostBusyCPUPercent: Double, serverCores: Int, vms: [VMUse]
    ) -> MeteredShare {
        let measured = max(0, measuredWatts)
        let idle = min(max(0, idleWatts), measured)
        let dynamicPool = measured - idle
        let vcpus = vms.reduce(0) { $0 + max(0, $1.vcpus) }
        let cores = Double(max(1, serverCores, vcpus))
        let busy = max(hostBusyCPUPercent, vms.reduce(0) { $0 + max(0, $1.cpuUsagePercent) })
        let shares = vms.map { vm in
            VMShare(
                key: vm.key, name: vm.name, uuid: vm.uuid, cpuUsagePercent: vm.cpuUsagePercent,
                staticWatts: idle * Double(max(0, vm.vcpus)) / cores,
                dynamicWatts: busy > 0 ? dynamicPool * max(0, vm.cpuUsagePercent) / busy : 0,
                isolatedDynamicWatts: vm.isolatedDynamicWatts
            )
        }
        let vmsWatts = shares.reduce(0) { $0 + $1.totalWatts }
        return MeteredShare(measuredWatts: measured, idleWatts: idle, vms: shares, hostOwnWatts: max(0, measured - vmsWatts))
    }
}
