import CLibvirt

/// A failed libvirt call: libvirt's error code, domain and message, and the C function that failed.
///
/// Built from `virGetLastError()` right after the failing call. libvirt keeps that error in
/// thread-local storage, so it must be read on the calling thread before anything else runs
/// there (in particular before any `await`); ``LibvirtError/last(from:)`` does exactly that.
public struct LibvirtError: Error, CustomStringConvertible, Sendable, Equatable {
    /// libvirt's error code, a `virErrorNumber` (for example `VIR_ERR_NO_SUPPORT`, 3).
    public var code: Int32
    /// The part of libvirt that raised the error, a `virErrorDomain` (for example `VIR_FROM_TEST`).
    public var domain: Int32
    /// libvirt's human-readable message.
    public var message: String
    /// The libvirt C function whose failure this describes, such as `virConnectOpenReadOnly`.
    public var function: String

    /// Creates an error from its parts.
    public init(code: Int32, domain: Int32, message: String, function: String) {
        self.code = code
        self.domain = domain
        self.message = message
        self.function = function
    }

    /// The error libvirt recorded for this thread by the failing call to `function`.
    ///
    /// Wraps `virGetLastError()`. When libvirt recorded nothing, the result still names the
    /// function, with code `VIR_ERR_INTERNAL_ERROR` and a generic message.
    static func last(from function: String) -> LibvirtError {
        guard let error = virGetLastError() else {
            return LibvirtError(
                code: Int32(VIR_ERR_INTERNAL_ERROR.rawValue),
                domain: Int32(VIR_FROM_NONE.rawValue),
                message: "\(function) failed without a libvirt error",
                function: function
            )
        }
        return LibvirtError(
            code: error.pointee.code,
            domain: error.pointee.domain,
            message: error.pointee.message.map { String(cString: $0) } ?? "unknown libvirt error",
            function: function
        )
    }

    /// The error for a call made after ``LibvirtConnection/close()``, shaped like libvirt's own
    /// `VIR_ERR_INVALID_CONN`.
    static func connectionClosed(function: String) -> LibvirtError {
        LibvirtError(
            code: Int32(VIR_ERR_INVALID_CONN.rawValue),
            domain: Int32(VIR_FROM_NONE.rawValue),
            message: "the connection is closed",
            function: function
        )
    }

    /// True when the driver does not implement the call (`VIR_ERR_NO_SUPPORT`), as the test
    /// driver does not for domain statistics.
    public var isUnsupported: Bool {
        code == Int32(VIR_ERR_NO_SUPPORT.rawValue)
    }

    /// True when the domain asked for does not exist (`VIR_ERR_NO_DOMAIN`).
    public var isNoDomain: Bool {
        code == Int32(VIR_ERR_NO_DOMAIN.rawValue)
    }

    /// `function: message (code N, domain M)`.
    public var description: String {
        "\(function): \(message) (libvirt error code \(code), domain \(domain))"
    }
}
