/// A child process started with `posix_spawn` and a clean signal state (nothing blocked, default
/// handlers), so that it does not inherit a mask that would make it ignore SIGTERM.
///
/// Its standard input is /dev/null; its standard output and error go to pipes (`capture`) or to
/// /dev/null. Not thread-safe: owned by one thread.
public final class SpawnedProcess {
    public let pid: pid_t
    private var outputDescriptor: Int32 = -1
    private var errorDescriptor: Int32 = -1
    private var status: Int32?

    /// What a finished command printed and how it ended.
    public struct Outcome: Sendable {
        /// The exit status, or 128 + the signal that killed it.
        public let status: Int32
        public let output: String
        public let errorOutput: String
    }

    /// The first executable named `name` in the directories of `PATH`, or nil.
    public static func which(_ name: String) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// Starts `executable` (a path) with `arguments`, in the caller's environment.
    public init(executable: String, arguments: [String], capture: Bool) throws(SpawnError) {
        var outputPipe: [Int32] = [-1, -1]
        var errorPipe: [Int32] = [-1, -1]
        if capture {
            guard pipe(&outputPipe) == 0 else { throw SpawnError(executable: executable, code: errno) }
            guard pipe(&errorPipe) == 0 else {
                let code = errno
                close(outputPipe[0])
                close(outputPipe[1])
                throw SpawnError(executable: executable, code: code)
            }
            for descriptor in outputPipe + errorPipe { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        }
        defer {
            if capture {
                close(outputPipe[1])
                close(errorPipe[1])
            }
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if capture {
            posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
            posix_spawn_file_actions_adddup2(&actions, errorPipe[1], 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        var result = posix_spawn(&child, executable, &actions, &attributes, argv, environ)
        // ETXTBSY: a script just written is still open for writing in a process another thread
        // is starting; that descriptor goes away as soon as the other exec happens.
        for _ in 0..<10 where result == ETXTBSY {
            var pause = timespec(tv_sec: 0, tv_nsec: 20_000_000)
            nanosleep(&pause, nil)
            result = posix_spawn(&child, executable, &actions, &attributes, argv, environ)
        }
        guard result == 0 else {
            if capture {
                close(outputPipe[0])
                close(errorPipe[0])
            }
            throw SpawnError(executable: executable, code: result)
        }
        pid = child
        if capture {
            outputDescriptor = outputPipe[0]
            errorDescriptor = errorPipe[0]
        }
    }

    deinit {
        if status == nil {
            kill(pid, SIGKILL)
            _ = waitForExit()
        }
        closePipes()
    }

    /// Sends `signal` unless the process has been reaped.
    public func signal(_ signal: Int32) {
        if status == nil { kill(pid, signal) }
    }

    /// Waits for the process to exit and reaps it; the exit status, or 128 + the signal.
    public func waitForExit() -> Int32 {
        if let status { return status }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        let signal = raw & 0x7f
        let decoded = signal == 0 ? (raw >> 8) & 0xff : 128 + signal
        status = decoded
        return decoded
    }

    /// Reads both pipes until the process closes them or `timeoutSeconds` pass (then kills it),
    /// and reaps it. Only for a process started with `capture`.
    public func collect(timeoutSeconds: Double) -> (outcome: Outcome, timedOut: Bool) {
        var output: [UInt8] = []
        var errorOutput: [UInt8] = []
        let deadline = SystemClock.monotonicSeconds() + timeoutSeconds
        var timedOut = false
        var open = [outputDescriptor, errorDescriptor].filter { $0 >= 0 }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !open.isEmpty {
            let left = deadline - SystemClock.monotonicSeconds()
            if left <= 0 {
                timedOut = true
                break
            }
            var descriptors = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&descriptors, nfds_t(descriptors.count), Int32(min(left * 1000, 1000)) + 1)
            if ready < 0 && errno != EINTR { break }
            for entry in descriptors where entry.revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    if entry.fd == outputDescriptor {
                        output += buffer[0..<count]
                    } else {
                        errorOutput += buffer[0..<count]
                    }
                    if output.count + errorOutput.count > 1 << 20 { open.removeAll() }
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    open.removeAll { $0 == entry.fd }
                }
            }
        }
        if timedOut { signal(SIGKILL) }
        let status = waitForExit()
        closePipes()
        return (
            Outcome(
                status: status, output: String(decoding: output, as: UTF8.self),
                errorOutput: String(decoding: errorOutput, as: UTF8.self)
            ), timedOut
        )
    }

    private func closePipes() {
        if outputDescriptor >= 0 { close(outputDescriptor) }
        if errorDescriptor >= 0 { close(errorDescriptor) }
        outputDescriptor = -1
        errorDescriptor = -1
    }
}

/// `posix_spawn` (or a pipe for it) failed.
public struct SpawnError: Error, CustomStringConvertible {
    public let executable: String
    public let code: Int32
    public var description: String { "cannot start \(executable): \(String(cString: strerror(code)))" }
}
