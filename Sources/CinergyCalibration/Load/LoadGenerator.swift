/// Keeps the host's CPUs busy at a level.
public protocol LoadGenerator: AnyObject {
    /// What it is, for the report ("4 duty-cycled busy threads").
    var description: String { get }
    /// Makes each online CPU busy `percent` % of the time from now on.
    func setLevel(_ percent: Double) throws(CalibrationError)
    /// Stops all load at once and waits for it to be gone.
    func stop()
}
