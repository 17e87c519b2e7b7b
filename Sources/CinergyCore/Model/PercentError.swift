/// Errors of predictions against measurements, in percent of the measurement: one definition,
/// shared by calibrate's fit report and the host meter's drift check.
public enum PercentError {
    /// `(predicted − actual) / actual × 100` (positive when the prediction is higher); nil when
    /// `actual` is 0 W or less, where a percentage means nothing.
    public static func signed(predicted: Double, actual: Double) -> Double? {
        actual > 0 ? (predicted - actual) / actual * 100 : nil
    }

    /// The mean absolute percentage error of `predicted` against `actual`, pair by pair, in
    /// percent; pairs whose actual value is 0 or less are left out. Nil when none is left.
    public static func meanAbsolute(predicted: [Double], actual: [Double]) -> Double? {
        meanAbsolute(zip(predicted, actual).compactMap { signed(predicted: $0.0, actual: $0.1) })
    }

    /// The mean of the absolute values of `errors` (already in percent); nil when empty.
    public static func meanAbsolute(_ errors: [Double]) -> Double? {
        errors.isEmpty ? nil : errors.reduce(0) { $0 + abs($1) } / Double(errors.count)
    }
}
