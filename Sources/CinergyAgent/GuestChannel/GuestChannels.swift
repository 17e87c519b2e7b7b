import Synchronization

/// The VMs that have a guest channel and their counters: kept by ``GuestChannelService``, read by
/// `/metrics`. Quick, no I/O.
public final class GuestChannels: Sendable {
    /// One VM's channel as `/metrics` reports it.
    struct Snapshot: Sendable, Equatable {
        var name: String
        var uuid: String
        var isConnected: Bool
        var linesWritten: Int
        var linesDropped: Int
    }

    private struct Entry {
        var name: String
        var counters: GuestChannelCounters
    }

    private let entries = Mutex<[String: Entry]>([:])

    public init() {}

    /// Records that the VM `uuid` (named `name`) has a channel, counted by `counters`.
    func track(uuid: String, name: String, counters: GuestChannelCounters) {
        entries.withLock { $0[uuid] = Entry(name: name, counters: counters) }
    }

    /// Forgets the VM `uuid` (its domain stopped).
    func forget(uuid: String) {
        _ = entries.withLock { $0.removeValue(forKey: uuid) }
    }

    /// Every VM with a channel, sorted by name then UUID.
    func snapshot() -> [Snapshot] {
        let entries = entries.withLock { $0 }
        return entries.map { uuid, entry in
            Snapshot(
                name: entry.name, uuid: uuid, isConnected: entry.counters.isConnected.load(ordering: .relaxed),
                linesWritten: entry.counters.linesWritten.load(ordering: .relaxed),
                linesDropped: entry.counters.linesDropped.load(ordering: .relaxed)
            )
        }
        .sorted { ($0.name, $0.uuid) < ($1.name, $1.uuid) }
    }
}
