import CinergySystem
public import SystemPackage

/// An exclusive `flock(2)` on a file in the state directory, held while the agent runs: a second
/// agent pointed at the same directory finds it taken and leaves the database alone. The holder's
/// PID is written in the file for the second agent's message. The kernel drops the lock when the
/// holder exits, however it exits (SIGKILL included).
public final class LockFile: Sendable {
    public let path: FilePath
    private let descriptor: FileDescriptor

    /// Takes the lock at `path` (creating the file), or throws ``LedgerError/locked(path:holder:)``
    /// when another process holds it. Wraps `open(2)`, `flock(2)` with `LOCK_EX | LOCK_NB`.
    public init(path: FilePath) throws(LedgerError) {
        self.path = path
        let descriptor: FileDescriptor
        do {
            descriptor = try FileDescriptor.open(
                path, .readWrite, options: [.create, .closeOnExec], permissions: [.ownerReadWrite, .groupRead]
            )
        } catch {
            throw .readOnly(path: path.string, reason: "cannot open the lock file: \(error)")
        }
        if flock(descriptor.rawValue, LOCK_EX | LOCK_NB) != 0 {
            let error = Errno(rawValue: errno)
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = (try? buffer.withUnsafeMutableBytes { try descriptor.read(fromAbsoluteOffset: 0, into: $0) }) ?? 0
            try? descriptor.close()
            guard error == .wouldBlock else { throw .failed(path: path.string, reason: "flock: \(error)") }
            let holder = String(decoding: buffer.prefix(count), as: UTF8.self).filter(\.isNumber)
            throw .locked(path: path.string, holder: holder.isEmpty ? nil : holder)
        }
        _ = ftruncate(descriptor.rawValue, 0)
        _ = try? descriptor.writeAll(toAbsoluteOffset: 0, "\(getpid())\n".utf8)
        self.descriptor = descriptor
    }

    deinit {
        try? descriptor.close()
    }
}
