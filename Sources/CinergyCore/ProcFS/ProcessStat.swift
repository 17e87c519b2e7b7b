/// The fields of `/proc/PID/stat` the agent uses.
public struct ProcessStat: Sendable, Equatable {
    /// CPU time in user mode of all the process's threads, in clock ticks (field 14).
    public var userTicks: UInt64
    /// CPU time in kernel mode of all the process's threads, in clock ticks (field 15).
    public var systemTicks: UInt64
    /// When the process started, in clock ticks since boot (field 22). With the PID it
    /// identifies a process: a reused PID has another start time.
    public var startTimeTicks: UInt64

    /// The state letter (field 3): `R`, `S`, `D`, `Z` (zombie), `X` (dead), …
    public var state: UInt8

    /// User plus system time, in clock ticks.
    public var cpuTicks: UInt64 { userTicks &+ systemTicks }

    /// True once the process has exited, even if its parent has not reaped it yet.
    public var hasExited: Bool { state == UInt8(ascii: "Z") || state == UInt8(ascii: "X") }

    public init(userTicks: UInt64, systemTicks: UInt64, startTimeTicks: UInt64, state: UInt8 = UInt8(ascii: "S")) {
        self.userTicks = userTicks
        self.systemTicks = systemTicks
        self.startTimeTicks = startTimeTicks
        self.state = state
    }

    /// Parses one `stat` line. The command name (field 2) sits in parentheses and may itself
    /// contain spaces and parentheses, so fields are counted from the last `)`.
    public init?(statLine bytes: UnsafeRawBufferPointer) {
        guard let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        // Field 3 (state) is the first after ")"; we want fields 14, 15 and 22.
        var field = 2
        var value: UInt64 = 0
        var inNumber = false
        var user: UInt64?
        var system: UInt64?
        var state: UInt8 = 0
        var index = close + 1
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") {
                if inNumber {
                    switch field {
                    case 14: user = value
                    case 15: system = value
                    case 22:
                        guard let user, let system else { return nil }
                        self.init(userTicks: user, systemTicks: system, startTimeTicks: value, state: state)
                        return
                    default: break
                    }
                }
                inNumber = false
                index += 1
                continue
            }
            if !inNumber {
                field += 1
                inNumber = true
                value = 0
                if field == 3 { state = byte }
            }
            if field == 14 || field == 15 || field == 22 {
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte - 0x30))
                guard !overflow1, !overflow2 else { return nil }
                value = sum
            }
            index += 1
        }
        if inNumber, field == 22, let user, let system {
            self.init(userTicks: user, systemTicks: system, startTimeTicks: value, state: state)
            return
        }
        return nil
    }
}
