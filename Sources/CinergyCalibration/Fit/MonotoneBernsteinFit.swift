import CinergyCore

/// Least squares in the Bernstein basis of degree n on `[0, inputMax]`, with the coefficients
/// constrained to start at 0 or more and never fall: f(x) = Σₖ bₖ·C(n,k)·tᵏ(1−t)ⁿ⁻ᵏ, t = x / inputMax,
/// with 0 ≤ b₀ ≤ b₁ ≤ … ≤ bₙ. A Bernstein polynomial lies between its smallest and largest
/// coefficient and its derivative is n·Σ (bₖ₊₁ − bₖ)·(a Bernstein basis of degree n − 1), so such an
/// f is non-negative and non-decreasing on the whole of `[0, inputMax]` by construction, down to 0
/// whatever loads were measured.
///
/// Written as bₖ = d₀ + … + dₖ with every dⱼ ≥ 0, it is a non-negative least-squares problem in d
/// (`NonNegativeLeastSquares`) whose columns are Cⱼ(t) = Σₖ≥ⱼ Bₖ,ₙ(t); the result is converted to
/// the power basis `REG_COEFF` takes. A ridge term of 10⁻¹⁰ per point on d₁…dₙ makes the solution
/// unique where there are more coefficients than loads.
public enum MonotoneBernsteinFit {
    /// The constrained fit of `degree` (≥ 1) to the points, as a polynomial in x; nil when the
    /// inner solves fail.
    public static func fit(x: [Double], y: [Double], degree: Int, inputMax: Double) -> Polynomial? {
        precondition(x.count == y.count && degree >= 1 && inputMax > 0)
        // A tiny ridge on the increments d₁…dₙ (λ = 10⁻¹⁰ per point): where more coefficients than
        // loads leave the least-squares solution open, it takes the one with the smallest
        // increments, so that the answer does not depend on the solver's path.
        let penalty = (ridge * Double(x.count)).squareRoot()
        let columns = (0...degree).map { j in
            x.map { cumulativeBasis(j, degree: degree, t: $0 / inputMax) } + (1...degree).map { $0 == j ? penalty : 0 }
        }
        guard let increments = NonNegativeLeastSquares.solve(columns: columns, b: y + [Double](repeating: 0, count: degree)) else { return nil }
        var bernstein = [Double](repeating: 0, count: degree + 1)
        var running = 0.0
        for k in 0...degree {
            running += increments[k]
            bernstein[k] = running
        }
        return powerBasis(bernstein: bernstein, inputMax: inputMax)
    }

    /// The ridge weight on the increments, per point, in the units of watts² (negligible beside
    /// any real residual: 10⁻¹⁰).
    static let ridge = 1e-10

    /// Cⱼ(t) = Σₖ₌ⱼ…ₙ C(n,k)·tᵏ(1−t)ⁿ⁻ᵏ (C₀ = 1).
    static func cumulativeBasis(_ j: Int, degree n: Int, t: Double) -> Double {
        var sum = 0.0
        for k in j...n { sum += binomial(n, k) * LeastSquares.power(t, k) * LeastSquares.power(1 - t, n - k) }
        return sum
    }

    /// The power-basis coefficients in x of the Bernstein polynomial with coefficients `bernstein`
    /// on `[0, inputMax]`: in t, aₘ = Σₖ≤ₘ bₖ·C(n,k)·C(n−k, m−k)·(−1)ᵐ⁻ᵏ; in x, aₘ / inputMaxᵐ.
    public static func powerBasis(bernstein: [Double], inputMax: Double) -> Polynomial {
        let n = bernstein.count - 1
        var coefficients = [Double](repeating: 0, count: n + 1)
        var scale = 1.0
        for m in 0...n {
            var sum = 0.0
            for k in 0...m {
                let sign: Double = (m - k) % 2 == 0 ? 1 : -1
                sum += bernstein[k] * binomial(n, k) * binomial(n - k, m - k) * sign
            }
            coefficients[m] = sum / scale
            scale *= inputMax
        }
        return Polynomial(coefficients: coefficients)
    }

    static func binomial(_ n: Int, _ k: Int) -> Double {
        guard k >= 0, k <= n else { return 0 }
        var result = 1.0
        for i in 0..<min(k, n - k) { result = result * Double(n - i) / Double(i + 1) }
        return result
    }
}
