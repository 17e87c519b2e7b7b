import CLibvirt
import CinergySystem

extension LibvirtConnection {
    /// The live XML description of the running domain with `uuid`, as libvirt holds it now (with
    /// the paths of the sockets it made for the domain's channels); nil when libvirt does not know
    /// the domain (`VIR_ERR_NO_DOMAIN`).
    ///
    /// Wraps `virDomainLookupByUUIDString()` then `virDomainGetXMLDesc(dom, 0)`: no
    /// `VIR_DOMAIN_XML_SECURE`, so a read-only connection may ask. The string is released with
    /// `free()`.
    public func liveXML(uuid: String) throws -> String? {
        try withDomain(uuid: uuid, function: "virDomainGetXMLDesc") { domain in
            guard let xml = virDomainGetXMLDesc(domain, 0) else {
                throw LibvirtError.last(from: "virDomainGetXMLDesc")
            }
            defer { free(xml) }
            return String(cString: xml)
        }
    }

    /// Attaches the device described by `deviceXML` to the running domain with `uuid`, to the live
    /// domain only: nothing is written to its persistent definition, so the device is gone once
    /// the domain stops. Returns false when libvirt does not know the domain.
    ///
    /// Wraps `virDomainLookupByUUIDString()` then `virDomainAttachDeviceFlags(dom, xml,
    /// VIR_DOMAIN_AFFECT_LIVE)`. Needs a connection opened with ``Access/readWrite``; on a
    /// read-only one libvirt refuses (`VIR_ERR_OPERATION_DENIED`).
    @discardableResult
    public func attachDeviceLive(uuid: String, deviceXML: String) throws -> Bool {
        let attached = try withDomain(uuid: uuid, function: "virDomainAttachDeviceFlags") { domain -> Bool in
            guard virDomainAttachDeviceFlags(domain, deviceXML, VIR_DOMAIN_AFFECT_LIVE.rawValue) == 0 else {
                throw LibvirtError.last(from: "virDomainAttachDeviceFlags")
            }
            return true
        }
        return attached ?? false
    }

    /// Looks the domain up by UUID (`virDomainLookupByUUIDString()`), runs `body` with it and
    /// frees it (`virDomainFree()`); nil when libvirt does not know the domain, or no longer does
    /// when `body` runs.
    private func withDomain<Value>(
        uuid: String, function: String, _ body: (OpaquePointer) throws -> Value
    ) throws -> Value? {
        try withPointer(function) { connection in
            guard let domain = virDomainLookupByUUIDString(connection, uuid) else {
                let error = LibvirtError.last(from: "virDomainLookupByUUIDString")
                if error.isNoDomain {
                    return nil
                }
                throw error
            }
            defer { virDomainFree(domain) }
            do {
                return try body(domain)
            } catch let error as LibvirtError where error.isNoDomain {
                // The domain went away between the lookup and the call.
                return nil
            }
        }
    }
}
