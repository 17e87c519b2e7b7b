/// The cinergy model: the isolated power of a VM from its CPU usage.
///
/// ```
/// static  = f(0) × vm_cores / server_cores
/// dynamic = (f(x) − f(0)) × cinergy_ratio      x = cpu_usage, or cpu_usage / server_cores
/// total   = static + dynamic
/// ```
public struct PowerModel: Sendable, Equatable {
    public var polynomial: Polynomial
    /// Share of the dynamic power attributed to the VM, 0…1.
    public var cinergyRatio: Double
    /// The host's CPU count that static power is shared across.
    public var serverCores: Int
    public var input: ModelInput

    public init(polynomial: Polynomial, cinergyRatio: Double, serverCores: Int, input: ModelInput = .vmPercent) {
        self.polynomial = polynomial
        self.cinergyRatio = cinergyRatio
        self.serverCores = serverCores
        self.input = input
    }

    /// The value `f` is evaluated at for a VM using `cpuUsagePercent` percent of one host CPU.
    public func modelInput(cpuUsagePercent: Double) -> Double {
        switch input {
        case .vmPercent: cpuUsagePercent
        case .hostPercent: cpuUsagePercent / Double(serverCores)
        }
    }

    /// The power breakdown of a VM with `vmCores` vCPUs using `cpuUsagePercent` percent of one host CPU.
    public func estimate(cpuUsagePercent: Double, vmCores: Int) -> PowerEstimate {
        let idle = polynomial(0)
        let staticWatts = idle * Double(vmCores) / Double(serverCores)
        let dynamicWatts = (polynomial(modelInput(cpuUsagePercent: cpuUsagePercent)) - idle) * cinergyRatio
        return PowerEstimate(staticWatts: staticWatts, dynamicWatts: dynamicWatts)
    }
}

/// A VM's isolated power, in watts.
public struct PowerEstimate: Sendable, Equatable {
    public var staticWatts: Double
    public var dynamicWatts: Double
    public var totalWatts: Double { staticWatts + dynamicWatts }

    public init(staticWatts: Double, dynamicWatts: Double) {
        self.staticWatts = staticWatts
        self.dynamicWatts = dynamicWatts
    }
}
