import Hummingbird
import Synchronization

/// The last response body a route built from the registry, with the registry version it was built
/// from (`VMRegistry.versionedRecords()`).
///
/// The registry changes once per sample interval (and when VMs come and go), while clients may ask
/// many times a second: a request that finds the registry at the cached version is answered with
/// the very bytes built for that version, without copying the records or writing JSON again.
final class ResponseCache: Sendable {
    private let stored = Mutex<(version: UInt64, body: ByteBuffer)?>(nil)

    init() {}

    /// The body built for `version`, if that is the one cached.
    func body(version: UInt64) -> ByteBuffer? {
        stored.withLock { stored in
            guard let stored, stored.version == version else { return nil }
            return stored.body
        }
    }

    /// Keeps `body`, built from the registry at `version`, unless a newer version is cached already.
    func store(_ body: ByteBuffer, version: UInt64) {
        stored.withLock { stored in
            if let current = stored, current.version > version { return }
            stored = (version, body)
        }
    }
}
