import Synchronization

/// What one VM's guest channel has done, for `/metrics`: written from the channel's I/O thread,
/// read by scrapes.
final class GuestChannelCounters: Sendable {
    /// Lines handed to the socket.
    let linesWritten = Atomic<Int>(0)
    /// Lines dropped because the channel's buffer was full (the guest does not read).
    let linesDropped = Atomic<Int>(0)
    /// Whether the agent is connected to the VM's channel socket now.
    let isConnected = Atomic<Bool>(false)

    init() {}
}
