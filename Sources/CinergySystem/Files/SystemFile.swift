public import SystemPackage

/// The agent's one way to do file I/O: swift-system's descriptors, which retry a call that a
/// signal interrupted (EINTR), plus the few whole-file operations built on them.
public enum SystemFile {
    /// Opens `path` for reading; the descriptor is not inherited by child processes.
    public static func openForReading(_ path: FilePath) throws(Errno) -> FileDescriptor {
        do {
            return try FileDescriptor.open(path, .readOnly, options: [.closeOnExec])
        } catch {
            throw error as? Errno ?? .ioError
        }
    }

    /// The whole file, at most `limit` bytes. After each chunk, `readOn` sees what was read so far
    /// and may stop the reading early by returning false.
    public static func read(
        _ path: FilePath, limit: Int, readOn: ([UInt8]) -> Bool = { _ in true }
    ) throws(Errno) -> [UInt8] {
        let descriptor = try openForReading(path)
        defer { try? descriptor.close() }
        return try readAll(descriptor, limit: limit, readOn: readOn)
    }

    /// The file as UTF-8 text (invalid bytes replaced), at most `limit` bytes.
    public static func readText(_ path: FilePath, limit: Int = 1 << 20) throws(Errno) -> String {
        String(decoding: try read(path, limit: limit), as: UTF8.self)
    }

    /// What `descriptor` holds from its current offset on, at most `limit` bytes.
    public static func readAll(
        _ descriptor: FileDescriptor, limit: Int, readOn: ([UInt8]) -> Bool = { _ in true }
    ) throws(Errno) -> [UInt8] {
        var result: [UInt8] = []
        let chunkSize = 4096
        while result.count < limit {
            let wanted = min(chunkSize, limit - result.count)
            let start = result.count
            result.append(contentsOf: repeatElement(0, count: wanted))
            let count: Int
            do {
                count = try result.withUnsafeMutableBytes { buffer in
                    try descriptor.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[start..<(start + wanted)]))
                }
            } catch {
                throw error as? Errno ?? .ioError
            }
            result.removeLast(wanted - count)
            if count == 0 || !readOn(result) { break }
        }
        return result
    }

    /// Reads into `buffer` from `offset` (one `pread`); the byte count read, 0 at the end.
    public static func read(
        _ descriptor: FileDescriptor, at offset: Int64, into buffer: UnsafeMutableRawBufferPointer
    ) throws(Errno) -> Int {
        do {
            return try descriptor.read(fromAbsoluteOffset: offset, into: buffer)
        } catch {
            throw error as? Errno ?? .ioError
        }
    }

    /// Writes `bytes` to `path` so that a reader sees the old file or the new one, never a part:
    /// the bytes go to a temporary file beside it, which is synced and renamed over `path`.
    public static func replace(
        _ path: FilePath, with bytes: some Collection<UInt8>, permissions: FilePermissions = [.ownerReadWrite, .groupRead, .otherRead]
    ) throws(Errno) {
        let temporary = FilePath(path.string + ".tmp-\(getpid())")
        do {
            let descriptor = try FileDescriptor.open(
                temporary, .writeOnly, options: [.create, .truncate, .closeOnExec], permissions: permissions
            )
            do {
                try descriptor.closeAfter {
                    _ = try descriptor.writeAll(bytes)
                    if fsync(descriptor.rawValue) != 0 { throw Errno(rawValue: errno) }
                }
            } catch {
                _ = unlink(temporary.string)
                throw error
            }
            if rename(temporary.string, path.string) != 0 {
                let failure = Errno(rawValue: errno)
                _ = unlink(temporary.string)
                throw failure
            }
        } catch {
            throw error as? Errno ?? .ioError
        }
    }

    /// Writes all of `text` to standard error; what cannot be written is dropped.
    public static func writeStandardError(_ text: String) {
        _ = try? FileDescriptor.standardError.writeAll(text.utf8)
    }

    /// The names in directory `path` (`opendir`/`readdir`), without `.` and `..`, sorted.
    public static func directoryEntries(_ path: FilePath) throws(Errno) -> [String] {
        guard let directory = opendir(path.string) else { throw Errno(rawValue: errno) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Whether something exists at `path` (`access(F_OK)`; a dangling symbolic link does not).
    public static func exists(_ path: FilePath) -> Bool {
        access(path.string, F_OK) == 0
    }

    /// Whether `path` names a directory this process can list.
    public static func isReadableDirectory(_ path: FilePath) -> Bool {
        guard let directory = opendir(path.string) else { return false }
        closedir(directory)
        return true
    }
}

