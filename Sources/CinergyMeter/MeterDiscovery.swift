/// Finds and opens the meter asked for.
public enum MeterDiscovery {
    /// The meter for `choice`: for `auto` the first found in order RAPL, hwmon, IPMI (an IPMI
    /// meter counts as found only once it has given a reading). Nil for `none`.
    ///
    /// - Throws: `MeterError.notFound` listing what was looked for; errors of opening a meter.
    public static func open(_ choice: MeterChoice, sysfsRoot: String) throws(MeterError) -> (any PowerMeter)? {
        let looked = [
            "RAPL: \(RAPLMeter.searchPath(sysfsRoot: sysfsRoot))/intel-rapl:N with name psys or package-N and energy_uj",
            "hwmon: \(HwmonMeter.searchPath(sysfsRoot: sysfsRoot))/hwmonN with "
                + HwmonMeter.attributes.joined(separator: ", "),
            "IPMI: ipmitool on PATH answering `ipmitool dcmi power reading`",
        ]
        switch choice {
        case .none:
            return nil
        case .rapl:
            guard let meter = try RAPLMeter.open(sysfsRoot: sysfsRoot) else { throw .notFound(lookedFor: [looked[0]]) }
            return meter
        case .hwmon:
            guard let meter = HwmonMeter.open(sysfsRoot: sysfsRoot) else { throw .notFound(lookedFor: [looked[1]]) }
            return meter
        case .ipmi:
            guard let meter = IPMIMeter.find() else { throw .notFound(lookedFor: [looked[2]]) }
            return meter
        case .auto:
            if let meter = try RAPLMeter.open(sysfsRoot: sysfsRoot) { return meter }
            if let meter = HwmonMeter.open(sysfsRoot: sysfsRoot) { return meter }
            if let meter = IPMIMeter.find() {
                do {
                    _ = try meter.read()
                    return meter
                } catch .permissionDenied(let path, let hint) {
                    throw .permissionDenied(path: path, hint: hint)
                } catch {
                    throw .notFound(lookedFor: looked.dropLast() + [looked[2] + " (\(error))"])
                }
            }
            throw .notFound(lookedFor: looked)
        }
    }
}
