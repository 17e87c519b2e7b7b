/// How a VM's share of the host's idle power (and of its embodied emissions) is worked out.
///
/// The shares are `vm_cores / d`, with `d` the denominator this chooses:
/// - `serverCores` (the seed's): `d = server_cores`. On a host with more vCPUs than CPUs the VMs'
///   shares add up to more than 1: idle power is counted more than once.
/// - `runningVCPUs`: `d = max(server_cores, vCPUs of the VMs in the registry)`. The shares never
///   add up to more than 1, so the VMs' static power never sums above `f(0)` (and their embodied
///   emissions never above the server's).
public enum StaticShare: String, Sendable, Equatable, CaseIterable {
    case serverCores = "server_cores"
    case runningVCPUs = "running_vcpus"

    /// The share of a VM with `vmCores` vCPUs on a host of `serverCores` CPUs running VMs with
    /// `runningVCPUs` vCPUs in all (nil when unknown: taken as the VM's own), from 0 to 1 with
    /// `runningVCPUs`, possibly above 1 with `serverCores` (a VM with more vCPUs than the host).
    public func share(vmCores: Int, serverCores: Int, runningVCPUs: Int?) -> Double {
        let denominator: Int =
            switch self {
            case .serverCores: serverCores
            case .runningVCPUs: max(serverCores, runningVCPUs ?? vmCores, vmCores)
            }
        return Double(vmCores) / Double(max(1, denominator))
    }
}
