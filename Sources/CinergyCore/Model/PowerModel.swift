/// The cinergy model: the isolated power of a VM from its CPU usage.
///
/// ```
/// static  = f(0) × share       share = vm_cores / server_cores (the seed's), or
///                                       vm_cores / max(server_cores, running vCPUs) (StaticShare)
/// dynamic = max(0, f(x) − f(0)) × r     x = cpu_usage, or cpu_usage / server_cores
/// total   = static + dynamic            r = cinergy ratio, constant or r(host load)
/// ```
///
/// `f` is the fitted `PowerCurve`: the polynomial inside its fitted range, a straight line beyond.
public struct PowerModel: Sendable, Equatable {
    public var curve: PowerCurve
    /// Share of the dynamic power attributed to the VM.
    public var ratio: CinergyRatio
    /// The host's CPU count that static power is shared across.
    public var serverCores: Int
    public var input: ModelInput
    /// How the static share is worked out (`STATIC_SHARE`).
    public var staticShare: StaticShare

    public init(curve: PowerCurve, ratio: CinergyRatio, serverCores: Int, input: ModelInput = .vmPercent, staticShare: StaticShare = .serverCores) {
        self.curve = curve
        self.ratio = ratio
        self.serverCores = serverCores
        self.input = input
        self.staticShare = staticShare
    }

    /// The static share of a VM with `vmCores` vCPUs while the registry's VMs have `runningVCPUs`
    /// vCPUs in all (``StaticShare``): the part of `f(0)`, and of the server's embodied
    /// emissions, that the VM is given.
    public func share(vmCores: Int, runningVCPUs: Int?) -> Double {
        staticShare.share(vmCores: vmCores, serverCores: serverCores, runningVCPUs: runningVCPUs)
    }

    /// The seed's model: a polynomial used over every input, a constant ratio.
    public init(polynomial: Polynomial, cinergyRatio: Double, serverCores: Int, input: ModelInput = .vmPercent) {
        self.init(curve: PowerCurve(polynomial: polynomial), ratio: .constant(cinergyRatio), serverCores: serverCores, input: input)
    }

    /// The polynomial `f`.
    public var polynomial: Polynomial { curve.polynomial }

    /// The largest input a VM can reach: the whole host (100 %, or 100 × server_cores % of one CPU).
    public var inputReach: Double {
        switch input {
        case .vmPercent: 100 * Double(serverCores)
        case .hostPercent: 100
        }
    }

    /// The value `f` is evaluated at for a VM using `cpuUsagePercent` percent of one host CPU.
    public func modelInput(cpuUsagePercent: Double) -> Double {
        switch input {
        case .vmPercent: cpuUsagePercent
        case .hostPercent: cpuUsagePercent / Double(serverCores)
        }
    }

    /// The power breakdown of a VM with `vmCores` vCPUs using `cpuUsagePercent` percent of one host
    /// CPU while the host's CPU load is `hostLoadPercent` (percent of all CPUs; nil when unknown)
    /// and the registry's VMs have `runningVCPUs` vCPUs in all (for ``StaticShare/runningVCPUs``).
    public func estimate(cpuUsagePercent: Double, vmCores: Int, hostLoadPercent: Double? = nil, runningVCPUs: Int? = nil) -> PowerEstimate {
        let idle = curve.idleWatts
        let staticWatts = idle * share(vmCores: vmCores, runningVCPUs: runningVCPUs)
        let (watts, extrapolated) = curve.evaluate(modelInput(cpuUsagePercent: cpuUsagePercent))
        let ratio = ratio.value(hostLoadPercent: hostLoadPercent)
        return PowerEstimate(
            staticWatts: staticWatts,
            dynamicWatts: max(0, watts - idle) * ratio,
            cinergyRatio: ratio,
            extrapolated: extrapolated
        )
    }

    /// The power breakdown of a VM with `vmCores` vCPUs over the interval of `usage`.
    public func estimate(_ usage: UsageSample, vmCores: Int, runningVCPUs: Int? = nil) -> PowerEstimate {
        estimate(cpuUsagePercent: usage.cpuUsagePercent, vmCores: vmCores, hostLoadPercent: usage.hostCPUUsagePercent, runningVCPUs: runningVCPUs)
    }

    /// `f(host load)`: what the model says the whole host draws at `hostLoadPercent`, in watts.
    public func hostWatts(hostLoadPercent: Double) -> Double {
        let x =
            switch input {
            case .hostPercent: hostLoadPercent
            case .vmPercent: hostLoadPercent * Double(serverCores)
            }
        return curve.evaluate(x).watts
    }
}

/// A VM's isolated power, in watts.
public struct PowerEstimate: Sendable, Equatable {
    public var staticWatts: Double
    public var dynamicWatts: Double
    /// The cinergy ratio applied to the dynamic power.
    public var cinergyRatio: Double
    /// True when the model's input lay beyond the range `f` was fitted on.
    public var extrapolated: Bool
    public var totalWatts: Double { staticWatts + dynamicWatts }

    public init(staticWatts: Double, dynamicWatts: Double, cinergyRatio: Double = 1, extrapolated: Bool = false) {
        self.staticWatts = staticWatts
        self.dynamicWatts = dynamicWatts
        self.cinergyRatio = cinergyRatio
        self.extrapolated = extrapolated
    }
}
