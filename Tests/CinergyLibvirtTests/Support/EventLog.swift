import CinergyLibvirt

/// Collects a connection's domain events so tests can wait for them with a deadline.
///
/// One task drains ``LibvirtConnection/notifications`` into the log (an `AsyncStream` must
/// not be iterated by competing tasks, and cancelling a waiting iteration ends the stream).
/// ``next(within:where:)`` returns the first not yet consumed event that matches, waiting for
/// it until the deadline, and consumes it, so successive waits follow the order of events.
actor EventLog {
    private struct Waiter {
        var predicate: @Sendable (DomainEvent) -> Bool
        var continuation: CheckedContinuation<DomainEvent?, Never>
        var timeout: Task<Void, Never>?
    }

    /// Events no waiter has consumed yet; consumed ones become nil.
    private var events: [DomainEvent?] = []
    private var allEvents: [DomainEvent] = []
    private var waiters: [Int: Waiter] = [:]
    private var nextWaiterID = 0
    private var drain: Task<Void, Never>?

    /// Starts draining `connection`'s notifications; the task ends with the stream.
    static func recording(_ connection: LibvirtConnection) async -> EventLog {
        let log = EventLog()
        await log.startDraining(connection.notifications)
        return log
    }

    private func startDraining(_ notifications: AsyncStream<LibvirtConnection.Notification>) {
        drain = Task { [weak self] in
            for await notification in notifications {
                if case .event(let event) = notification {
                    await self?.append(event)
                }
            }
        }
    }

    /// All events received so far, consumed or not, for failure messages.
    func all() -> [DomainEvent] {
        allEvents
    }

    private func append(_ event: DomainEvent) {
        allEvents.append(event)
        for (id, waiter) in waiters.sorted(by: { $0.key < $1.key }) where waiter.predicate(event) {
            waiters[id] = nil
            waiter.timeout?.cancel()
            waiter.continuation.resume(returning: event)
            return
        }
        events.append(event)
    }

    /// The next matching event, consumed; nil if none arrives within `timeout`.
    func next(
        within timeout: Duration = .seconds(10),
        where predicate: @escaping @Sendable (DomainEvent) -> Bool
    ) async -> DomainEvent? {
        if let index = events.firstIndex(where: { $0.map(predicate) ?? false }) {
            let event = events[index]
            events[index] = nil
            return event
        }
        let id = nextWaiterID
        nextWaiterID += 1
        return await withCheckedContinuation { continuation in
            let timeoutTask = Task { [weak self] in
                try? await Task.sleep(for: timeout)
                await self?.expire(id)
            }
            waiters[id] = Waiter(predicate: predicate, continuation: continuation, timeout: timeoutTask)
        }
    }

    private func expire(_ id: Int) {
        waiters.removeValue(forKey: id)?.continuation.resume(returning: nil)
    }

    deinit {
        drain?.cancel()
    }
}
