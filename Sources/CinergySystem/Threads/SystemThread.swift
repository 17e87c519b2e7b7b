import SystemPackage

/// A POSIX thread of its own, for work that blocks (libvirt's event loop, busy loops) and must not
/// hold one of the few threads of Swift's cooperative pool.
public final class SystemThread: Sendable {
    private final class Box {
        let name: String
        let body: @Sendable () -> Void
        init(_ name: String, _ body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }

    private let thread: pthread_t

    /// Starts `body` on a new thread named `name` (at most 15 bytes are shown by `ps` and `top`).
    public init(name: String, _ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(Box(name, body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { argument in
            let box = Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue()
            SystemThread.nameCurrentThread(box.name)
            box.body()
            return nil
        }, box)
        precondition(result == 0, "pthread_create failed: \(result)")
        self.thread = thread
    }

    /// Names the calling thread (`/proc/thread-self/comm`, what `ps -L` and `top -H` show); a name
    /// that cannot be set is left as it was.
    static func nameCurrentThread(_ name: String) {
        guard let file = try? FileDescriptor.open("/proc/thread-self/comm", .writeOnly, options: [.closeOnExec]) else { return }
        _ = try? file.closeAfter { try file.writeAll(name.utf8.prefix(15)) }
    }

    /// Waits for the thread's body to return. Call it at most once, and not after ``detach()``.
    public func join() {
        _ = pthread_join(thread, nil)
    }

    /// Lets the thread's resources go as soon as its body returns, without a ``join()``. Call it at
    /// most once, and not before or after ``join()``.
    public func detach() {
        _ = pthread_detach(thread)
    }
}
