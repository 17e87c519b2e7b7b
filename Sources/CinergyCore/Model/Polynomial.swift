/// A polynomial `f(x) = c0 + c1·x + c2·x² + …`, evaluated with Horner's rule.
public struct Polynomial: Sendable, Equatable {
    /// The coefficients, constant term first.
    public let coefficients: [Double]

    /// Creates a polynomial; `coefficients` must not be empty (the constant term comes first).
    public init(coefficients: [Double]) {
        precondition(!coefficients.isEmpty, "a polynomial needs at least one coefficient")
        self.coefficients = coefficients
    }

    /// `f(x)`.
    public func callAsFunction(_ x: Double) -> Double {
        var result = 0.0
        for coefficient in coefficients.reversed() {
            result = result * x + coefficient
        }
        return result
    }
}
