/// Non-negative least squares: the `c ≥ 0` that minimises ‖A c − b‖², by Lawson and Hanson's
/// active-set algorithm (*Solving Least Squares Problems*, 1974, chapter 23). Small problems
/// only (a few columns): each step solves the unconstrained problem on the free columns by QR.
public enum NonNegativeLeastSquares {
    /// The solution, with A given column by column (`columns[j][i]`); nil when an inner solve
    /// fails (dependent free columns) or the iteration limit (30 × columns) is reached.
    public static func solve(columns: [[Double]], b: [Double]) -> [Double]? {
        let count = columns.count
        let rows = b.count
        guard count > 0 else { return [] }
        var x = [Double](repeating: 0, count: count)
        var free: [Bool] = Array(repeating: false, count: count)
        let scale = columns.map { $0.reduce(0) { $0 + abs($1) } }.max() ?? 0
        let tolerance = 10 * Double.ulpOfOne * scale * Double(max(rows, count))

        func gradient() -> [Double] {
            var residual = b
            for j in 0..<count where x[j] != 0 {
                for i in 0..<rows { residual[i] -= columns[j][i] * x[j] }
            }
            return columns.map { column in zip(column, residual).reduce(0) { $0 + $1.0 * $1.1 } }
        }
        func solveFree() -> [Double]? {
            let indices = (0..<count).filter { free[$0] }
            guard let partial = LeastSquares.solve(columns: indices.map { columns[$0] }, b: b) else { return nil }
            var full = [Double](repeating: 0, count: count)
            for (position, index) in indices.enumerated() { full[index] = partial[position] }
            return full
        }

        var iterations = 0
        while true {
            let w = gradient()
            guard let entering = (0..<count).filter({ !free[$0] && w[$0] > tolerance }).max(by: { w[$0] < w[$1] }) else { break }
            free[entering] = true
            while true {
                iterations += 1
                guard iterations <= 30 * count, let s = solveFree() else { return nil }
                let negative = (0..<count).filter { free[$0] && s[$0] <= 0 }
                if negative.isEmpty {
                    x = s
                    break
                }
                // Step from x towards s as far as every free coefficient stays ≥ 0, then free
                // the coefficients that reached 0.
                let alpha = negative.filter { x[$0] - s[$0] > 0 }.map { x[$0] / (x[$0] - s[$0]) }.min() ?? 0
                for j in 0..<count { x[j] += alpha * (s[j] - x[j]) }
                for j in 0..<count where free[j] && x[j] <= tolerance {
                    free[j] = false
                    x[j] = 0
                }
                if !free.contains(true) { break }
            }
            if iterations > 30 * count { return nil }
        }
        return x.map { max(0, $0) }
    }
}
