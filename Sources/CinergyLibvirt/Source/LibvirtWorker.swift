import Dispatch

/// Runs blocking libvirt calls on one dedicated thread, never on the cooperative thread pool:
/// a slow or hung libvirtd then delays only libvirt work, never HTTP requests or sampling.
final class LibvirtWorker: Sendable {
    private let queue = DispatchQueue(label: "cinergy.libvirt")

    /// Runs `body` on the libvirt thread and returns its result.
    func run<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result2.capture(body))
            }
        }
    }
}

/// `Result(catching:)` with a typed `any Error` failure, usable from a `@Sendable` closure.
private enum Result2 {
    static func capture<Value>(_ body: () throws -> Value) -> Result<Value, any Error> {
        do {
            return .success(try body())
        } catch {
            return .failure(error)
        }
    }
}
