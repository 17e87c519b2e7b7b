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
    /// fitted range, by the one shape rule (`PowerCurve.shapeProblems`). The continuation beyond
    /// the range never decreases.
    public func problems(reach: Double) -> [Problem] {
        Self.shapeProblems(polynomial, upTo: min(reach, inputMax ?? reach))
    }

    /// The shape rule a power curve must pass on `[0, end]`, checked from 0 (where `f(0)` sets
    /// every VM's static power) on a grid of 2,000 steps: never below 0 W, never falling from one
    /// step to the next by more than rounding (10⁻⁹ of the curve's largest magnitude), and rising
    /// overall (`f(end) > f(0)`; a constant gives every VM zero dynamic power). `cinergy
    /// calibrate` checks its fit with it, the agent its `REG_COEFF` at start-up.
    public static func shapeProblems(_ polynomial: Polynomial, upTo end: Double) -> [Problem] {
        guard end > 0 else { return [] }
        let steps = 2000
        let values = (0...steps).map { polynomial(end * Double($0) / Double(steps)) }
        let rounding = 1e-9 * max(1, values.map(abs).max() ?? 1)
        var problems: [Problem] = []
        if let first = values.firstIndex(where: { $0 < -rounding }) {
            problems.append(.negative(atInput: end * Double(first) / Double(steps)))
        }
        if let step = values.indices.dropFirst().first(where: { values[$0] < values[$0 - 1] - rounding }) {
            problems.append(.decreasing(fromInput: end * Double(step - 1) / Double(steps)))
        }
        if values[steps] - values[0] <= rounding {
            problems.append(.flat(watts: values[0]))
        }
        return problems
    }

    /// A flaw of the polynomial inside its fitted range.
    public enum Problem: Sendable, Equatable {
        /// `f` is below 0 W from this input on.
        case negative(atInput: Double)
        /// `f` falls as the load rises, from this input on.
        case decreasing(fromInput: Double)
        /// `f` does not rise over the range: it stays at (or ends below) this value, in watts.
        case flat(watts: Double)
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
