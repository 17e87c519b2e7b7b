import CinergyCore
import Hummingbird

/// One line of the guest channel: what a VM reads about itself in its port `org.cinergy.power.0`.
///
/// A JSON object on one line, ended by `\n`:
/// `{"format_version":1,"sampled_at":"…","power":{…},"carbon":{…}}`, where `power` holds the fields
/// of `GET /power?vm=` for this VM (all but `host_cpu_usage`, the load of the whole host and so of
/// the neighbours) and `carbon` those of `GET /carbon?vm=`, built by the same code as the routes.
/// The format is a stable interface (README, "Inside the VM"): fields are added, never renamed or
/// removed, without a new `format_version`.
struct GuestChannelLine: Sendable {
    /// The version of the line's format; it changes only when a field changes meaning or goes away.
    static let formatVersion = 1
    /// The name of the virtio-serial port the lines go to.
    static let portName = "org.cinergy.power.0"

    /// The routes whose field writers the line reuses.
    let routes: PowerRoutes<BasicRequestContext>

    init(
        powerModel: PowerModel, carbonModel: CarbonModel, emissionFactors: (any EmissionFactorSchedule)?, embodied: EmbodiedModel? = nil,
        registry: VMRegistry
    ) {
        routes = PowerRoutes(
            registry: registry, powerModel: powerModel, carbonModel: carbonModel, emissionFactors: emissionFactors, embodied: embodied)
    }

    /// The line for `record`'s latest sample, `\n` included; nil while it has none.
    func text(for record: VMRecord) -> String? {
        guard let usage = record.effectiveUsage else { return nil }
        var json = JSONWriter()
        json.object { json in
            json.field("format_version", Self.formatVersion)
            json.field("sampled_at", RFC3339.format(unixSeconds: usage.sampledAtUnixSeconds))
            json.key("power")
            routes.writePower(record, usage, to: &json, hostLoad: false)
            json.key("carbon")
            routes.writeCarbon(record, usage, to: &json)
        }
        return json.text + "\n"
    }
}
