import Foundation

/// What every end-to-end test and benchmark of one run shares: the name prefix of the VMs and
/// processes it creates, and the agent's settings.
public enum EndToEnd {
    /// Test VMs and processes carry this prefix, unique per run; `CINERGY_E2E_PREFIX` sets it (for
    /// `make bench`, which cleans up after its runs by this prefix only).
    public static let prefix = ProcessInfo.processInfo.environment["CINERGY_E2E_PREFIX"] ?? "cinergy-e2e-\(UUID().uuidString.prefix(8).lowercased())"

    /// The agent's env file in the end-to-end tests: a known model, one sample a second, no libvirt.
    public static let env: [String: String] = [
        "REG_COEFF": "50,0.5,0.001", "CINERGY_RATIO": "0.75", "SERVER_CORES": "16", "DC_PUE": "1.3",
        "EMISSION_FACTOR": "50", "SAMPLE_INTERVAL": "1", "LOG_LEVEL": "debug", "LIBVIRT_URI": "none",
        // The ledger off unless a test gives it a directory of its own (the default is the host's
        // /var/lib/cinergy, and agents sharing it would lock each other out).
        "STATE_DIRECTORY": "none",
    ]

    /// The prefix of the libvirt domains the tests create.
    public static let libvirtPrefix = prefix + "-lv"

    /// `env` with the real libvirtd (`qemu:///system`).
    public static let libvirtEnv = env.merging(["LIBVIRT_URI": "qemu:///system"]) { $1 }

    /// A libvirt domain name of this run, unique within it: `<libvirtPrefix>-<label>-<6 hex digits>`.
    public static func uniqueDomainName(_ label: String) -> String {
        "\(libvirtPrefix)-\(label)-\(UUID().uuidString.prefix(6).lowercased())"
    }
}
