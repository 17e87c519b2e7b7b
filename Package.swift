// swift-tools-version: 6.2

import PackageDescription

#if canImport(Glibc)
import Glibc

/// Packed relative relocations (DT_RELR) need glibc 2.36 at run time (Debian 12; not EL 9). The
/// binary needs the glibc it was built against anyway, so the build host's glibc decides.
let packedRelocations: [String] = {
    var buffer = [CChar](repeating: 0, count: 64)
    _ = confstr(Int32(_CS_GNU_LIBC_VERSION), &buffer, buffer.count)  // "glibc 2.36"
    let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let version = text.split(separator: " ").last?.split(separator: ".").compactMap { Int($0) } ?? []
    let supported = version.count >= 2 && (version[0], version[1]) >= (2, 36)
    return supported ? ["-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"] : []
}()
#else
let packedRelocations: [String] = []
#endif

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "cinergy",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "cinergy", targets: ["cinergy"])
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // libvirt's C API (headers from libvirt-dev), loaded with dlopen when a libvirt URI is
        // configured rather than linked. Only CinergyLibvirt may import it; the core never does.
        .target(
            name: "CLibvirt",
            path: "Modules/CLibvirt"
        ),
        // The model, procfs discovery, the VM registry and the sampler: no HTTP, no libvirt.
        .target(
            name: "CinergyCore",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Configuration loading, the HTTP routes and the wiring of services.
        .target(
            name: "CinergyAgent",
            dependencies: [
                "CinergyCore",
                "CinergyLibvirt",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The thin libvirt layer: the only importer of CLibvirt.
        .target(
            name: "CinergyLibvirt",
            dependencies: [
                "CLibvirt",
                "CinergyCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "cinergy",
            dependencies: [
                "CinergyAgent",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            exclude: ["HotFunctions.order"],
            swiftSettings: swiftSettings,
            // Resident memory (docs/BENCHMARKS.md): lld with packed relative relocations (DT_RELR,
            // where glibc has them) shrinks the relocation table the loader reads at start-up
            // from 2.5 MB to 20 kB; not exporting the executable's 27,000 symbols (nothing loads
            // against them) spares the loader searching them on every library symbol it binds;
            // and the functions the agent runs (HotFunctions.order, written by `make link-order`)
            // are placed together, so the code it maps is the code it runs. A name the order
            // lists and the binary lacks is skipped.
            linkerSettings: [
                .unsafeFlags(
                    ["-use-ld=lld"] + packedRelocations + [
                        "-Xlinker", "--no-export-dynamic",
                        "-Xlinker", "--symbol-ordering-file=\(Context.packageDirectory)/Sources/cinergy/HotFunctions.order",
                        "-Xlinker", "--no-warn-symbol-ordering",
                    ],
                    .when(platforms: [.linux])
                )
            ]
        ),
        .testTarget(
            name: "CinergyCoreTests",
            dependencies: ["CinergyCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CinergyAgentTests",
            dependencies: [
                "CinergyAgent",
                "CinergyCore",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CinergyLibvirtTests",
            dependencies: [
                "CinergyLibvirt",
                "CinergyCore",
                .product(name: "Logging", package: "swift-log"),
                // Only to define and drive test domains through a read-write connection.
                "CLibvirt",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["CinergyCore"],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
