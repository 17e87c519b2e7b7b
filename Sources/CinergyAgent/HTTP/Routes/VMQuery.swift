import CinergyCore
import Hummingbird

/// Resolves the `vm` query parameter of a request to one VM with a usage sample.
enum VMQuery {
    /// The VM named by `?vm=` (a name, a UUID or `pid:N`), or the 4xx that explains why not.
    static func resolve(_ request: Request, in registry: VMRegistry) throws(APIError) -> (VMRecord, UsageSample) {
        let (record, usage) = try resolve(request, in: registry, requireUsage: true)
        return (record, usage!)
    }

    /// The VM named by `?vm=`; with `requireUsage`, one without a sample yet is a 404 too.
    static func resolve(_ request: Request, in registry: VMRegistry, requireUsage: Bool) throws(APIError) -> (VMRecord, UsageSample?) {
        let values = try QueryParameters(request.uri.query).values("vm")
        guard let key = values.first else {
            throw APIError(.badRequest, "missing query parameter 'vm' (a VM name, UUID or pid:N)")
        }
        guard values.count == 1 else {
            throw APIError(.badRequest, "query parameter 'vm' is given \(values.count) times; give it once")
        }
        guard !key.isEmpty else {
            throw APIError(.badRequest, "query parameter 'vm' is empty; give a VM name, UUID or pid:N")
        }
        switch registry.lookup(key) {
        case .notFound:
            throw APIError(.notFound, "no VM '\(key)' on this host (GET /vms lists them)")
        case .ambiguous(let records):
            let pids = records.map { record in
                (record.identity.pid.map { "pid:\($0)" } ?? "pid unknown") + (record.identity.uuid.map { " uuid \($0)" } ?? "")
            }
            throw APIError(
                .conflict,
                "\(records.count) VMs are named '\(key)'; ask for one by UUID or pid: \(pids.joined(separator: ", "))"
            )
        case .found(let record):
            guard let usage = record.effectiveUsage else {
                if !requireUsage { return (record, nil) }
                throw APIError(
                    .notFound,
                    "VM '\(key)' has no CPU usage yet: it was found less than one sample interval ago; retry shortly"
                )
            }
            return (record, usage)
        }
    }
}
