import CLibvirt
import CinergySystem

extension LibvirtConnection {
    /// The running and paused domains, with their state and current vCPU count.
    ///
    /// Wraps `virConnectListAllDomains(conn, &list, VIR_CONNECT_LIST_DOMAINS_ACTIVE)`, then per
    /// domain `virDomainGetName()`, `virDomainGetUUIDString()`, `virDomainGetID()`,
    /// `virDomainGetState()` and `virDomainGetVcpusFlags(dom, VIR_DOMAIN_VCPU_LIVE)` (falling
    /// back to `virDomainGetInfo()`). Every domain is freed with `virDomainFree()` and the array
    /// with `free()`. A domain that disappears while being read is left out.
    public func activeDomains() throws -> [DomainInfo] {
        try withPointer("virConnectListAllDomains") { connection in
            try Self.withActiveDomains(connection) { domains in
                var result: [DomainInfo] = []
                result.reserveCapacity(domains.count)
                for domain in domains {
                    if let info = try Self.info(of: domain) {
                        result.append(info)
                    }
                }
                return result
            }
        }
    }

    /// One domain by UUID (`virDomainLookupByUUIDString()` then `virDomainGetState()`,
    /// `virDomainGetVcpusFlags()`); nil when libvirt does not know it (`VIR_ERR_NO_DOMAIN`).
    public func domain(uuid: String) throws -> DomainInfo? {
        try withPointer("virDomainLookupByUUIDString") { connection in
            guard let domain = virDomainLookupByUUIDString(connection, uuid) else {
                let error = LibvirtError.last(from: "virDomainLookupByUUIDString")
                if error.isNoDomain {
                    return nil
                }
                throw error
            }
            defer { virDomainFree(domain) }
            return try Self.info(of: domain)
        }
    }

    /// The current vCPU count of every active domain, by lowercase UUID.
    ///
    /// Wraps `virConnectGetAllDomainStats(conn, VIR_DOMAIN_STATS_VCPU, &stats,
    /// VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE)` and reads `vcpu.current`. Where the driver has
    /// no domain statistics (`VIR_ERR_NO_SUPPORT`, as the test driver) or a record lacks
    /// `vcpu.current`, asks `virDomainGetVcpusFlags(dom, VIR_DOMAIN_VCPU_LIVE)`, then
    /// `virDomainGetInfo()`. Domains for which nothing answers are left out.
    public func vcpuCounts() throws -> [String: Int] {
        try withPointer("virConnectGetAllDomainStats") { connection in
            var counts: [String: Int] = [:]
            let isSupported = try Self.withAllDomainStats(
                connection, groups: VIR_DOMAIN_STATS_VCPU.rawValue
            ) { domain, parameters, count in
                guard let uuid = DomainPointer.uuid(domain) else {
                    return
                }
                var current: UInt32 = 0
                if virTypedParamsGetUInt(parameters, count, "vcpu.current", &current) == 1 {
                    counts[uuid] = Int(current)
                } else if let current = Self.liveVcpuCount(of: domain) {
                    counts[uuid] = current
                }
            }
            if isSupported {
                return counts
            }
            return try Self.withActiveDomains(connection) { domains in
                for domain in domains {
                    if let uuid = DomainPointer.uuid(domain), let current = Self.liveVcpuCount(of: domain) {
                        counts[uuid] = current
                    }
                }
                return counts
            }
        }
    }
}

// MARK: - Helpers owning libvirt memory

extension LibvirtConnection {
    /// Lists the active domains with `virConnectListAllDomains()` and hands them to `body`;
    /// afterwards `virDomainFree()`s each and `free()`s the array. The pointers must not escape.
    static func withActiveDomains<Value>(
        _ connection: OpaquePointer,
        _ body: ([OpaquePointer]) throws -> Value
    ) throws -> Value {
        var list: UnsafeMutablePointer<OpaquePointer?>?
        let count = virConnectListAllDomains(connection, &list, VIR_CONNECT_LIST_DOMAINS_ACTIVE.rawValue)
        guard count >= 0 else {
            throw LibvirtError.last(from: "virConnectListAllDomains")
        }
        let domains = UnsafeBufferPointer(start: list, count: Int(count)).compactMap { $0 }
        defer {
            for domain in domains {
                virDomainFree(domain)
            }
            free(list)
        }
        return try body(domains)
    }

    /// Fetches `groups` (`virDomainStatsTypes` bits) for the active domains with
    /// `virConnectGetAllDomainStats()`, calls `body` once per record with its domain and
    /// typed parameters, then frees the list with `virDomainStatsRecordListFree()`.
    ///
    /// Returns false, without calling `body`, when the driver has no domain statistics.
    static func withAllDomainStats(
        _ connection: OpaquePointer,
        groups: UInt32,
        _ body: (_ domain: OpaquePointer, _ parameters: virTypedParameterPtr?, _ count: Int32) throws -> Void
    ) throws -> Bool {
        var records: UnsafeMutablePointer<virDomainStatsRecordPtr?>?
        let count = virConnectGetAllDomainStats(
            connection, groups, &records,
            VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE.rawValue | VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT.rawValue)
        guard count >= 0 else {
            let error = LibvirtError.last(from: "virConnectGetAllDomainStats")
            if error.isUnsupported {
                return false
            }
            throw error
        }
        defer { virDomainStatsRecordListFree(records) }
        for index in 0..<Int(count) {
            guard let record = records?[index], let domain = record.pointee.dom else {
                continue
            }
            try body(domain, record.pointee.params, record.pointee.nparams)
        }
        return true
    }

    /// Reads one listed domain; nil when it vanished meanwhile (`VIR_ERR_NO_DOMAIN`).
    static func info(of domain: OpaquePointer) throws -> DomainInfo? {
        guard let uuid = DomainPointer.uuid(domain) else {
            return nil
        }
        var state: Int32 = 0
        var reason: Int32 = 0
        guard virDomainGetState(domain, &state, &reason, 0) == 0 else {
            let error = LibvirtError.last(from: "virDomainGetState")
            if error.isNoDomain {
                return nil
            }
            throw error
        }
        return DomainInfo(
            name: DomainPointer.name(domain),
            uuid: uuid,
            id: DomainPointer.id(domain),
            state: DomainState(rawValue: state),
            vcpusCurrent: liveVcpuCount(of: domain),
            novaInstanceXML: novaInstanceXML(of: domain)
        )
    }

    /// Namespaces OpenStack Nova writes its `<nova:instance>` metadata under, newest first.
    static let novaNamespaces = [
        "http://openstack.org/xmlns/libvirt/nova/1.1",
        "http://openstack.org/xmlns/libvirt/nova/1.0",
    ]

    /// Nova's metadata element of a domain: `virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT,
    /// namespace, 0)` for each Nova namespace; nil when there is none (`VIR_ERR_NO_DOMAIN_METADATA`)
    /// or the driver cannot say. The returned string is released with `free()`.
    static func novaInstanceXML(of domain: OpaquePointer) -> String? {
        for namespace in novaNamespaces {
            if let xml = virDomainGetMetadata(domain, Int32(VIR_DOMAIN_METADATA_ELEMENT.rawValue), namespace, 0) {
                defer { free(xml) }
                return String(cString: xml)
            }
            // A missing element is the common case, not a failure.
            virResetLastError()
        }
        return nil
    }

    /// The running domain's vCPU count: `virDomainGetVcpusFlags(dom, VIR_DOMAIN_VCPU_LIVE)`, or
    /// `nrVirtCpu` from `virDomainGetInfo()` when that fails; nil when both fail.
    static func liveVcpuCount(of domain: OpaquePointer) -> Int? {
        let count = virDomainGetVcpusFlags(domain, VIR_DOMAIN_VCPU_LIVE.rawValue)
        if count >= 0 {
            return Int(count)
        }
        var info = virDomainInfo()
        if virDomainGetInfo(domain, &info) == 0 {
            return Int(info.nrVirtCpu)
        }
        return nil
    }
}
