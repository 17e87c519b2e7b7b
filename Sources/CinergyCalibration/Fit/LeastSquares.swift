import CinergyCore

/// Polynomial least squares, solved by Householder QR on a Vandermonde matrix of scaled loads
/// (x / max|x|, so every column lies in [-1, 1]): no normal equations, whose condition number is
/// the square of the matrix's.
public enum LeastSquares {
    /// The polynomial of `degree` that minimises Σ (f(xᵢ) − yᵢ)²; nil when the points cannot
    /// determine it (fewer distinct x than degree + 1).
    public static func fit(x: [Double], y: [Double], degree: Int) -> Polynomial? {
        precondition(x.count == y.count && degree >= 0)
        let rows = x.count
        let columns = degree + 1
        guard rows >= columns else { return nil }
        let scale = x.map(abs).max().map { $0 > 0 ? $0 : 1 } ?? 1
        // Column-major matrix a[column][row].
        var a = [[Double]](repeating: [Double](repeating: 0, count: rows), count: columns)
        for row in 0..<rows {
            let t = x[row] / scale
            var power = 1.0
            for column in 0..<columns {
                a[column][row] = power
                power *= t
            }
        }
        var b = y
        var diagonal = [Double](repeating: 0, count: columns)
        for k in 0..<columns {
            var norm = 0.0
            for row in k..<rows { norm += a[k][row] * a[k][row] }
            norm = norm.squareRoot()
            guard norm > 1e-12 * Double(rows).squareRoot() else { return nil }
            let alpha = a[k][k] > 0 ? -norm : norm
            // v = a_k[k...] − alpha·e₁, stored in place of the column.
            a[k][k] -= alpha
            var vNorm2 = 0.0
            for row in k..<rows { vNorm2 += a[k][row] * a[k][row] }
            diagonal[k] = alpha
            guard vNorm2 > 0 else { continue }
            for column in (k + 1)..<max(columns, k + 1) {
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
        var scaled = [Double](repeating: 0, count: columns)
        for k in stride(from: columns - 1, through: 0, by: -1) {
            var sum = b[k]
            for column in (k + 1)..<columns { sum -= a[column][k] * scaled[column] }
            scaled[k] = sum / diagonal[k]
        }
        var coefficients = scaled
        var power = 1.0
        for k in 0..<columns {
            coefficients[k] = scaled[k] / power
            power *= scale
        }
        return Polynomial(coefficients: coefficients)
    }
}
