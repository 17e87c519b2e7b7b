/// What a QEMU command line says about the VM it runs.
///
/// Parsing follows QEMU's own rules: `-name` (`guest=NAME` or a bare first element, commas doubled
/// inside values), `-smp` (a leading count, `cpus=`, `maxcpus=`, or the product of the topology),
/// `-uuid`. Options may be written with one or two dashes; `-opt=value` is not QEMU syntax.
public struct QEMUCommandLine: Sendable, Equatable {
    /// The guest name from `-name`, if any.
    public var name: String?
    /// The VM's UUID from `-uuid`, lowercased, if any.
    public var uuid: String?
    /// The boot-time vCPU count from `-smp` (1 without `-smp`).
    public var vcpus: Int

    public init(name: String?, uuid: String?, vcpus: Int) {
        self.name = name
        self.uuid = uuid
        self.vcpus = vcpus
    }

    /// Parses `argv`; nil when the executable is not a QEMU system emulator, or when it runs no
    /// guest (`-machine none`, as libvirt's capability probes do).
    public init?(arguments: [String]) {
        guard let executable = arguments.first, Self.isEmulator(executable) else { return nil }
        var name: String?
        var uuid: String?
        var vcpus = 1
        var index = 1
        while index < arguments.count {
            let option = Self.optionName(arguments[index])
            guard let option, index + 1 < arguments.count else {
                index += 1
                continue
            }
            let value = arguments[index + 1]
            switch option {
            case "name":
                name = Self.guestName(value) ?? name
            case "smp":
                vcpus = Self.vcpuCount(value)
            case "uuid":
                uuid = Self.normalizedUUID(value) ?? uuid
            case "machine":
                if Self.machineType(value) == "none" { return nil }
            default:
                index += 1
                continue
            }
            index += 2
        }
        self.init(name: name, uuid: uuid, vcpus: vcpus)
    }

    /// True for `qemu-system-<arch>`, `qemu-kvm` and `kvm`, by the executable's base name.
    public static func isEmulator(_ executable: String) -> Bool {
        let base = executable.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? executable
        if base == "qemu-kvm" || base == "kvm" { return true }
        let prefix = "qemu-system-"
        return base.hasPrefix(prefix) && base.count > prefix.count
    }

    /// `-name`, `--name` → `name`; anything else that is not one of the options we read → nil.
    private static func optionName(_ argument: String) -> String? {
        switch argument {
        case "-name", "--name": "name"
        case "-smp", "--smp": "smp"
        case "-uuid", "--uuid": "uuid"
        case "-machine", "--machine", "-M": "machine"
        default: nil
        }
    }

    /// The guest name of a `-name` value: `guest=NAME`, or a bare first element.
    static func guestName(_ value: String) -> String? {
        let elements = splitOptionValue(value)
        var name: String?
        for (position, element) in elements.enumerated() {
            if let equals = element.firstIndex(of: "=") {
                if element[..<equals] == "guest" {
                    name = String(element[element.index(after: equals)...])
                }
            } else if position == 0 {
                name = element
            }
        }
        guard let name, !name.isEmpty else { return nil }
        return name
    }

    /// The machine type of a `-machine` value: `type=T` or the bare first element.
    static func machineType(_ value: String) -> String? {
        for (position, element) in splitOptionValue(value).enumerated() {
            if element.hasPrefix("type=") { return String(element.dropFirst(5)) }
            if position == 0, !element.contains("=") { return element }
        }
        return nil
    }

    /// The vCPU count of an `-smp` value, following QEMU: `cpus` (or the leading count) when given
    /// and non-zero, else `maxcpus`, else the product of the topology values given; 1 when nothing is.
    static func vcpuCount(_ value: String) -> Int {
        var cpus: Int?
        var maxCPUs: Int?
        var topology: Int?
        for (position, element) in splitOptionValue(value).enumerated() {
            let key: Substring
            let number: Substring
            if let equals = element.firstIndex(of: "=") {
                key = element[..<equals]
                number = element[element.index(after: equals)...]
            } else if position == 0 {
                key = "cpus"
                number = element[...]
            } else {
                continue
            }
            guard let count = Int(number), count > 0, count <= 1 << 20 else { continue }
            switch key {
            case "cpus": cpus = count
            case "maxcpus": maxCPUs = count
            case "sockets", "dies", "clusters", "cores", "threads", "books", "drawers", "modules":
                let product = (topology ?? 1).multipliedReportingOverflow(by: count)
                topology = product.overflow ? topology : product.partialValue
            default: continue
            }
        }
        return cpus ?? maxCPUs ?? topology ?? 1
    }

    /// A UUID in canonical 8-4-4-4-12 form, lowercased; nil for anything else.
    static func normalizedUUID(_ value: String) -> String? {
        let groups = value.split(separator: "-", omittingEmptySubsequences: false)
        guard groups.map(\.count) == [8, 4, 4, 4, 12],
            groups.allSatisfy({ $0.allSatisfy(\.isHexDigit) })
        else { return nil }
        return value.lowercased()
    }

    /// Splits a QEMU option value at single commas; `,,` stands for a literal comma.
    static func splitOptionValue(_ value: String) -> [String] {
        var elements: [String] = []
        var current = ""
        var iterator = value.makeIterator()
        var pending = iterator.next()
        while let character = pending {
            pending = iterator.next()
            if character == "," {
                if pending == "," {
                    current.append(",")
                    pending = iterator.next()
                } else {
                    elements.append(current)
                    current = ""
                }
            } else {
                current.append(character)
            }
        }
        elements.append(current)
        return elements
    }
}
