import CinergySystem
import SystemPackage

/// `/proc/PID/stat` held open and re-read with `pread`, so a sample costs one system call.
///
/// An open procfs file stays bound to its process: once that process has exited, reads fail
/// (ESRCH) even if the PID is reused, so a reading never comes from another process.
/// Not thread-safe; owned by the sampler's loop.
public final class ProcStatFile {
    private let descriptor: FileDescriptor

    /// Bytes read per sample: a stat line is about 300 bytes, and field 22 ends well within this.
    static let readSizeBytes = 1024

    init?(path: String) {
        guard let descriptor = try? SystemFile.openForReading(FilePath(path)) else { return nil }
        self.descriptor = descriptor
    }

    deinit { try? descriptor.close() }

    /// Reads the file again; nil when the process has exited. The line is read into a buffer on the
    /// stack: nothing is allocated per sample, and nothing is kept per file but the descriptor.
    public func read() -> ProcessStat? {
        withUnsafeTemporaryAllocation(byteCount: Self.readSizeBytes, alignment: 1) { raw -> ProcessStat? in
            guard let count = try? SystemFile.read(descriptor, at: 0, into: raw), count > 0 else { return nil }
            return ProcessStat(statLine: UnsafeRawBufferPointer(rebasing: raw[0..<count]))
        }
    }
}
