import CinergyCore

/// Linear least squares by Householder QR: no normal equations, whose condition number is the
/// square of the matrix's. Used for the monotone fit's inner solves (`NonNegativeLeastSquares`)
/// and for plain polynomial interpolation (the baseline the SPECpower evaluation compares with).
public enum LeastSquares {
    /// The `c` that minimises ‖A c − b‖², with A given column by column (`columns[j][i]`); nil
    /// when the columns are dependent (or fewer rows than columns).
    public static func solve(columns: [[Double]], b: [Double]) -> [Double]? {
        let count = columns.count
        guard count > 0 else { return [] }
        let rows = b.count
        guard rows >= count, columns.allSatisfy({ $0.count == rows }) else { return nil }
        var a = columns
        var b = b
        var diagonal = [Double](repeating: 0, count: count)
        let largestColumn = columns.map { $0.reduce(0) { $0 + $1 * $1 }.squareRoot() }.max() ?? 0
        guard largestColumn > 0 else { return nil }
        for k in 0..<count {
            var norm = 0.0
            for row in k..<rows { norm += a[k][row] * a[k][row] }
            norm = norm.squareRoot()
            guard norm > 1e-12 * largestColumn else { return nil }
            let alpha = a[k][k] > 0 ? -norm : norm
            // v = a_k[k...] − alpha·e₁, stored in place of the column.
            a[k][k] -= alpha
            var vNorm2 = 0.0
            for row in k..<rows { vNorm2 += a[k][row] * a[k][row] }
            diagonal[k] = alpha
            guard vNorm2 > 0 else { continue }
            for column in (k + 1)..<max(count, k + 1) {
                var dot = 0.0
                for row in k..<rows { dot += a[k][row] * a[column][row] }
                let factor = 2 * dot / vNorm2
                for row in k..<rows { a[column][row] -= factor * a[k][row] }
            }
            var dot = 0.0
            for row in k..<rows { dot += a[k][row] * b[row] }
            let factor = 2 * dot / vNorm2
            for row in k..<rows { b[row] -= factor * a[k][row] }
        }
        // Rank check: a tiny pivot relative to the largest means the columns are dependent.
        let largest = diagonal.map(abs).max() ?? 0
        guard diagonal.allSatisfy({ abs($0) > 1e-10 * largest }) else { return nil }
        // Back substitution: R c = Qᵀ b, with R's diagonal in `diagonal`, above it in a.
        var solution = [Double](repeating: 0, count: count)
        for k in stride(from: count - 1, through: 0, by: -1) {
            var sum = b[k]
            for column in (k + 1)..<count { sum -= a[column][k] * solution[column] }
            solution[k] = sum / diagonal[k]
        }
        return solution
    }

    /// The polynomial of `degree` that minimises Σ (f(xᵢ) − yᵢ)², on a Vandermonde matrix of scaled
    /// loads (x / max|x|, so every column lies in [-1, 1]); nil when the points cannot determine it
    /// (fewer distinct x than degree + 1). Unconstrained: it may fall or turn negative.
    public static func fit(x: [Double], y: [Double], degree: Int) -> Polynomial? {
        precondition(x.count == y.count && degree >= 0)
        let scale = x.map(abs).max().map { $0 > 0 ? $0 : 1 } ?? 1
        let columns = (0...degree).map { power in x.map { Self.power($0 / scale, power) } }
        guard let scaled = solve(columns: columns, b: y) else { return nil }
        var coefficients = scaled
        var factor = 1.0
        for k in coefficients.indices {
            coefficients[k] = scaled[k] / factor
            factor *= scale
        }
        return Polynomial(coefficients: coefficients)
    }

    static func power(_ base: Double, _ exponent: Int) -> Double {
        var result = 1.0
        for _ in 0..<exponent { result *= base }
        return result
    }
}
