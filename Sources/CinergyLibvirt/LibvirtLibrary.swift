import CLibvirt

/// libvirt's client library, which the binary loads with dlopen on first use instead of linking:
/// a host without libvirt runs the agent with `LIBVIRT_URI=none`, and libvirt's dependency tree
/// costs no memory until libvirt is used.
public enum LibvirtLibrary {
    /// The shared object loaded: Debian's package `libvirt0`.
    public static let soname = "libvirt.so.0"

    /// Loads the library and resolves the functions the agent calls; cheap once it succeeded.
    ///
    /// ``LibvirtEventLoop/start()`` calls this before any other libvirt call; a failure (library
    /// absent or too old) is thrown as a ``LibvirtError`` from `dlopen`, and a later call retries.
    public static func load() throws {
        var buffer = [CChar](repeating: 0, count: 512)
        guard cinergy_libvirt_load(soname, &buffer, buffer.count) == 0 else {
            let reason = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw LibvirtError(
                code: Int32(VIR_ERR_INTERNAL_ERROR.rawValue),
                domain: Int32(VIR_FROM_NONE.rawValue),
                message: "cannot load libvirt's client library: \(reason) (install libvirt0, or set LIBVIRT_URI=none)",
                function: "dlopen"
            )
        }
    }
}
