import CLibvirt

/// Reads of a `virDomainPtr` that libvirt answers from the pointer itself, without a driver call.
///
/// Safe inside event callbacks, where blocking libvirt calls are not allowed.
enum DomainPointer {
    /// The domain's name. Wraps `virDomainGetName()`, whose result belongs to the domain object
    /// and is never freed.
    static func name(_ domain: OpaquePointer) -> String {
        guard let name = virDomainGetName(domain) else {
            return ""
        }
        return String(cString: name)
    }

    /// The domain's UUID in lowercase canonical form. Wraps `virDomainGetUUIDString()`.
    static func uuid(_ domain: OpaquePointer) -> String? {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: Int(cinergy_uuid_string_buflen)) { buffer in
            guard let base = buffer.baseAddress, virDomainGetUUIDString(domain, base) == 0 else {
                return nil
            }
            return String(cString: base).lowercased()
        }
    }

    /// The domain's ID, -1 when it is inactive. Wraps `virDomainGetID()`, which returns
    /// `(unsigned int)-1` for inactive domains.
    static func id(_ domain: OpaquePointer) -> Int32 {
        Int32(bitPattern: virDomainGetID(domain))
    }
}
