/// One thread of its own (a ``SystemThread``) that runs jobs one after another, in the order they
/// were given: async code awaits blocking work there (procfs reads, libvirt calls) instead of
/// holding one of the few threads of Swift's cooperative pool while it blocks.
///
/// The thread ends once the worker is released and the jobs already given have run.
public final class WorkerThread: Sendable {
    private let jobs: JobQueue
    private let thread: SystemThread

    /// Starts the thread, named `name` (at most 15 bytes are shown by `ps` and `top`).
    public init(name: String) {
        let jobs = JobQueue()
        self.jobs = jobs
        thread = SystemThread(name: name) { jobs.runUntilClosed() }
    }

    deinit {
        // Not joined: the last reference may be released by a job on the thread itself.
        jobs.close()
        thread.detach()
    }

    /// Runs `body` on the worker's thread, after the jobs given before it, and returns what it
    /// returns or throws what it throws. The calling task waits without holding a thread.
    public func run<Value: Sendable, Failure: Error>(
        _ body: @escaping @Sendable () throws(Failure) -> Value
    ) async throws(Failure) -> Value {
        let result: Result<Value, Failure> = await withCheckedContinuation { continuation in
            jobs.submit { continuation.resume(returning: Result(catching: body)) }
        }
        return try result.get()
    }
}

/// The jobs waiting for a ``WorkerThread``: a list behind a POSIX mutex, and a condition variable
/// the thread sleeps on while the list is empty.
///
/// `@unchecked Sendable`: `jobs` and `isClosed` are only read and written with `mutex` held.
private final class JobQueue: @unchecked Sendable {
    private var jobs: [@Sendable () -> Void] = []
    private var isClosed = false
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Adds `job` at the end of the list and wakes the thread.
    func submit(_ job: @escaping @Sendable () -> Void) {
        pthread_mutex_lock(mutex)
        jobs.append(job)
        pthread_mutex_unlock(mutex)
        pthread_cond_signal(condition)
    }

    /// Lets the thread return once the list is empty.
    func close() {
        pthread_mutex_lock(mutex)
        isClosed = true
        pthread_mutex_unlock(mutex)
        pthread_cond_signal(condition)
    }

    /// The thread's body: runs the jobs as they come, until closed and empty.
    func runUntilClosed() {
        while true {
            pthread_mutex_lock(mutex)
            while jobs.isEmpty && !isClosed {
                pthread_cond_wait(condition, mutex)
            }
            let batch = jobs
            jobs = []
            pthread_mutex_unlock(mutex)
            if batch.isEmpty {
                return
            }
            for job in batch {
                job()
            }
        }
    }
}
