/// One process, for as long as it lives: a PID alone can be reused, a PID with its start time cannot.
public struct ProcessIdentity: Hashable, Sendable, CustomStringConvertible {
    public var pid: Int32
    /// Start time in clock ticks since boot (`/proc/PID/stat` field 22).
    public var startTimeTicks: UInt64

    public init(pid: Int32, startTimeTicks: UInt64) {
        self.pid = pid
        self.startTimeTicks = startTimeTicks
    }

    public var description: String { "pid \(pid) (started at tick \(startTimeTicks))" }
}
