/// The host power model `f` as it was fitted: the polynomial inside its fitted range
/// `[0, inputMax]`, and beyond it a straight line from `f(inputMax)` with the range's mean slope
/// `(f(inputMax) − f(0)) / inputMax` (never negative). A degree-4 polynomial fitted on loads up to
/// 37.5 % can say anything at 60 %; the line says what the fitted range does on average.
public struct PowerCurve: Sendable, Equatable {
    /// The fitted polynomial, in watts.
    public let polynomial: Polynomial
    /// The largest input the polynomial was fitted on; nil when the whole input range was.
    public let inputMax: Double?
    /// The continuation's slope beyond `inputMax`, in watts per input unit.
    public let continuationSlope: Double

    public init(polynomial: Polynomial, inputMax: Double? = nil) {
        self.polynomial = polynomial
        self.inputMax = inputMax
        if let inputMax, inputMax > 0 {
            continuationSlope = max(0, (polynomial(inputMax) - polynomial(0)) / inputMax)
        } else {
            continuationSlope = 0
        }
    }

    /// `f(x)`, and whether `x` lies beyond the fitted range.
    public func evaluate(_ x: Double) -> (watts: Double, extrapolated: Bool) {
        guard let inputMax, x > inputMax else { return (polynomial(x), false) }
        return (polynomial(inputMax) + continuationSlope * (x - inputMax), true)
    }

    /// `f(0)`: the power at idle.
    public var idleWatts: Double { polynomial(0) }

    /// What is wrong with the polynomial over `0...reach` (the inputs a VM can reach), inside its
    /// fitted range: where it first turns negative and where it first decreases, checked on a
    /// fine grid. The continuation beyond the range never decreases.
    public func problems(reach: Double) -> [Problem] {
        let end = min(reach, inputMax ?? reach)
        guard end > 0 else { return [] }
        let steps = 2000
        var problems: [Problem] = []
        var previous = polynomial(0)
        var sawNegative = previous < 0
        var sawDecrease = false
        for step in 1...steps {
            let x = end * Double(step) / Double(steps)
            let value = polynomial(x)
            if !sawNegative, value < 0 {
                sawNegative = true
                problems.append(.negative(atInput: x))
            }
            if !sawDecrease, value < previous - 1e-9 * max(1, abs(previous)) {
                sawDecrease = true
                problems.append(.decreasing(fromInput: end * Double(step - 1) / Double(steps)))
            }
            previous = value
        }
        return problems
    }

    /// A flaw of the polynomial inside its fitted range.
    public enum Problem: Sendable, Equatable {
        /// `f` is below 0 W from this input on.
        case negative(atInput: Double)
        /// `f` falls as the load rises, from this input on.
        case decreasing(fromInput: Double)
    }
}

/// The cinergy ratio: the share of the dynamic power attributed to a VM, either a constant (the
/// seed's) or a curve `r(h)` over the host's CPU load `h` in percent of all CPUs, clamped to
/// `[0, 1]`. The research fits the ratio falling as the host's load rises.
public enum CinergyRatio: Sendable, Equatable {
    case constant(Double)
    case hostLoadCurve(Polynomial)

    /// The ratio in force when the host's CPU load is `hostLoadPercent` (nil before the first
    /// host reading: the curve is evaluated at 0 % then).
    public func value(hostLoadPercent: Double?) -> Double {
        switch self {
        case .constant(let ratio): ratio
        case .hostLoadCurve(let curve): min(1, max(0, curve(hostLoadPercent ?? 0)))
        }
    }
}
