import CLibvirt
import CinergyLibvirt

/// CPU-time statistics of domains, read through ``TestDomainAdmin``'s connection: the agent itself
/// reads CPU time from procfs, never from libvirt, so these queries live with the tests.
extension TestDomainAdmin {
    /// The CPU time a domain has used, in nanoseconds, or nil where the driver does not report it.
    ///
    /// Wraps `virDomainLookupByUUIDString()` and `virDomainListGetStats()` with
    /// `VIR_DOMAIN_STATS_CPU_TOTAL`, reading `cpu.time`. Nil when the driver has no domain
    /// statistics (the test driver) or no `cpu.time` (an inactive domain). Throws
    /// ``LibvirtError`` (``LibvirtError/isNoDomain``) for an unknown UUID.
    func cpuTimeNanoseconds(uuid: String) throws -> UInt64? {
        guard let domain = virDomainLookupByUUIDString(pointer, uuid) else {
            throw LibvirtError.lastRecorded(by: "virDomainLookupByUUIDString")
        }
        defer { virDomainFree(domain) }
        var domains: [OpaquePointer?] = [domain, nil]
        var records: UnsafeMutablePointer<virDomainStatsRecordPtr?>?
        let count = virDomainListGetStats(&domains, VIR_DOMAIN_STATS_CPU_TOTAL.rawValue, &records, 0)
        guard count >= 0 else {
            let error = LibvirtError.lastRecorded(by: "virDomainListGetStats")
            if error.isUnsupported {
                return nil
            }
            throw error
        }
        defer { virDomainStatsRecordListFree(records) }
        guard count > 0, let record = records?[0] else {
            return nil
        }
        var nanoseconds: UInt64 = 0
        guard virTypedParamsGetULLong(record.pointee.params, record.pointee.nparams, "cpu.time", &nanoseconds) == 1 else {
            return nil
        }
        return nanoseconds
    }

    /// The CPU time of every active domain, in nanoseconds, by lowercase UUID; empty where the
    /// driver does not report it.
    ///
    /// Wraps `virConnectGetAllDomainStats(conn, VIR_DOMAIN_STATS_CPU_TOTAL, &stats,
    /// VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE | VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT)` and
    /// reads `cpu.time`: one call for all domains, where ``cpuTimeNanoseconds(uuid:)`` makes one
    /// per domain.
    func cpuTimesNanoseconds() throws -> [String: UInt64] {
        var records: UnsafeMutablePointer<virDomainStatsRecordPtr?>?
        let count = virConnectGetAllDomainStats(
            pointer, VIR_DOMAIN_STATS_CPU_TOTAL.rawValue, &records,
            VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE.rawValue | VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT.rawValue)
        guard count >= 0 else {
            let error = LibvirtError.lastRecorded(by: "virConnectGetAllDomainStats")
            if error.isUnsupported {
                return [:]
            }
            throw error
        }
        defer { virDomainStatsRecordListFree(records) }
        var times: [String: UInt64] = [:]
        for index in 0..<Int(count) {
            var nanoseconds: UInt64 = 0
            guard let record = records?[index], let domain = record.pointee.dom,
                virTypedParamsGetULLong(record.pointee.params, record.pointee.nparams, "cpu.time", &nanoseconds) == 1
            else { continue }
            var buffer = [CChar](repeating: 0, count: Int(cinergy_uuid_string_buflen))
            guard virDomainGetUUIDString(domain, &buffer) == 0 else { continue }
            times[String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).lowercased()] = nanoseconds
        }
        return times
    }
}

extension LibvirtError {
    /// The error libvirt recorded for this thread by the failing call to `function`
    /// (`virGetLastError()`), as the module's own errors are built.
    static func lastRecorded(by function: String) -> LibvirtError {
        guard let error = virGetLastError() else {
            return LibvirtError(
                code: Int32(VIR_ERR_INTERNAL_ERROR.rawValue), domain: Int32(VIR_FROM_NONE.rawValue),
                message: "\(function) failed without a libvirt error", function: function
            )
        }
        return LibvirtError(
            code: error.pointee.code, domain: error.pointee.domain,
            message: error.pointee.message.map { String(cString: $0) } ?? "unknown libvirt error", function: function
        )
    }
}
