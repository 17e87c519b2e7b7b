public import Logging

extension RegistryChanges {
    /// Logs each change at info level, the same way whichever source made it: `VM found`,
    /// `VM updated` and `VM gone`, with the VM's name, UUID, PID, vCPUs and source and `reason`.
    /// A VM found under a name another VM already has also gets a warning (ask for them by UUID or
    /// `pid:N`), which is why `registry` is asked.
    public func log(to logger: Logger, reason: String, registry: VMRegistry) {
        for vm in added {
            logger.info(
                "VM found",
                metadata: [
                    "vm": "\(vm.name)", "uuid": "\(vm.uuid ?? "")", "pid": "\(vm.pid.map(String.init) ?? "unknown")",
                    "vcpus": "\(vm.vcpus)", "source": "\(vm.source.rawValue)", "reason": "\(reason)",
                ]
            )
            if case .ambiguous(let clashing) = registry.lookup(vm.name) {
                logger.warning(
                    "several VMs share a name; ask for them by UUID or pid:N",
                    metadata: ["vm": "\(vm.name)", "pids": "\(clashing.compactMap(\.identity.pid))"]
                )
            }
        }
        for change in updated {
            logger.info(
                "VM updated",
                metadata: [
                    "vm": "\(change.new.name)", "was": "\(change.old.name)", "state": "\(change.new.state.rawValue)",
                    "vcpus": "\(change.new.vcpus)", "source": "\(change.new.source.rawValue)", "reason": "\(reason)",
                ]
            )
        }
        for vm in removed {
            logger.info(
                "VM gone",
                metadata: [
                    "vm": "\(vm.name)", "uuid": "\(vm.uuid ?? "")", "pid": "\(vm.pid.map(String.init) ?? "unknown")",
                    "reason": "\(reason)",
                ]
            )
        }
    }
}
