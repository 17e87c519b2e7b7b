import Dispatch

/// Runs blocking libvirt calls on one dedicated thread, never on the cooperative thread pool:
/// a slow or hung libvirtd then delays only libvirt work, never HTTP requests or sampling.
final class LibvirtWorker: Sendable {
    private let queue = DispatchQueue(label: "cinergy.libvirt")

    /// Runs `body` on the libvirt thread and returns its result.
    func run<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try body() })
            }
        }
    }
}
