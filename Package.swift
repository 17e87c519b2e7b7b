// swift-tools-version: 6.2

import PackageDescription

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
        // Without its default traits: FullFoundation (URL-form date coding with Foundation's
        // DateFormatter, which links all of Foundation and ICU) and ConfigurationSupport (the agent
        // reads swift-configuration itself).
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        // Without its default JSON trait: the agent reads no JSON configuration files, and that
        // trait's JSONSerialization is what would bring Foundation into the binary.
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0", traits: []),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        // Tests only: the OpenAPI document read as YAML (APIDocumentTests).
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        // SHA-256 of the emission factor file, recorded in the ledger's model versions.
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        // The fleet's central database (issue 20): each host's ledger replicated to PostgreSQL.
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // libvirt's C API (headers from libvirt-dev), loaded with dlopen when a libvirt URI is
        // configured rather than linked. Only CinergyLibvirt may import it; the core never does.
        .target(
            name: "CLibvirt",
            path: "Modules/CLibvirt"
        ),
        // The system layer: the platform's C library imported once (Platform.swift), and the
        // agent's processes, threads, files and clocks over it and swift-system.
        .target(
            name: "CinergySystem",
            dependencies: [
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        // The model, procfs discovery, the VM registry and the sampler: no HTTP, no libvirt.
        .target(
            name: "CinergyCore",
            dependencies: [
                "CinergySystem",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The meter layer: host power from RAPL (powercap), hwmon or IPMI DCMI, behind one protocol;
        // the agent's meter service and the monitor of the model's drift and the metered share.
        .target(
            name: "CinergyMeter",
            dependencies: [
                "CinergySystem",
                "CinergyCore",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // `cinergy calibrate`: the load generator, the measurement run, the fit and its outputs.
        .target(
            name: "CinergyCalibration",
            dependencies: [
                "CinergySystem",
                "CinergyMeter",
                "CinergyCore",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        // The persistent energy ledger (SQLite through GRDB): per-VM identity and energy/carbon
        // buckets, the flush service, period reports, the time-varying emission factor file.
        .target(
            name: "CinergyLedger",
            dependencies: [
                "CinergySystem",
                "CinergyCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C API, for the flush's hot statements (LedgerStore+Binding.swift).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The fleet's central database (issue 20): the ledger's changes replicated to PostgreSQL
        // by idempotent upserts, the central schema and its migrations, the replication's state.
        .target(
            name: "CinergyFleet",
            dependencies: [
                "CinergySystem",
                "CinergyCore",
                "CinergyLedger",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Configuration loading, the HTTP routes and the wiring of services.
        .target(
            name: "CinergyAgent",
            dependencies: [
                "CinergySystem",
                "CinergyCore",
                "CinergyLedger",
                "CinergyFleet",
                "CinergyLibvirt",
                "CinergyMeter",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                // The guest channel's Unix socket clients (issue 21).
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The OpenAPI document and the dashboard page, edited as what they are and compiled
            // into the binary as byte arrays (`PackageResources.openapi_yaml`), without Foundation.
            resources: [
                .embedInCode("Resources/openapi.yaml"),
                .embedInCode("Resources/dashboard.html"),
            ],
            swiftSettings: swiftSettings
        ),
        // The thin libvirt layer: the only importer of CLibvirt.
        .target(
            name: "CinergyLibvirt",
            dependencies: [
                "CinergySystem",
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
                "CinergySystem",
                "CinergyAgent",
                "CinergyCalibration",
                "CinergyLedger",
                "CinergyMeter",
                "CinergyCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings,
            // lld, and no exported symbols: nothing loads against the executable's 27,000 symbols,
            // and the loader no longer searches them for every library symbol it binds (resident
            // memory and start-up time, docs/BENCHMARKS.md).
            linkerSettings: [
                .unsafeFlags(["-use-ld=lld", "-Xlinker", "--no-export-dynamic"], .when(platforms: [.linux]))
            ]
        ),
        .testTarget(
            name: "CinergySystemTests",
            dependencies: ["CinergySystem"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CinergyCoreTests",
            dependencies: ["CinergyCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CinergyMeterTests",
            dependencies: ["CinergyMeter", "CinergyCore", "CinergySystem", .product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CinergyCalibrationTests",
            dependencies: ["CinergyCalibration", "CinergyMeter", "CinergyCore"],
            // Published SPECpower_ssj2008 curves the fit is evaluated on, read by path.
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CinergyLedgerTests",
            dependencies: [
                "CinergyLedger",
                "CinergyCore",
                "CinergySystem",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CinergyFleetTests",
            dependencies: [
                "CinergyFleet",
                "CinergyLedger",
                "CinergyCore",
                "CinergySystem",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CinergyAgentTests",
            dependencies: [
                "CinergyAgent",
                "CinergyFleet",
                "CinergyCore",
                "CinergyLedger",
                "CinergyMeter",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CinergyLibvirtTests",
            dependencies: [
                "CinergyLibvirt",
                "CinergyCore",
                .product(name: "Logging", package: "swift-log"),
                // Only to define and drive test domains through a read-write connection: libvirt's
                // declarations, with the functions only tests call linked from libvirt itself (the
                // agent's loader resolves only those the agent calls).
                "CLibvirt",
            ],
            swiftSettings: swiftSettings,
            linkerSettings: [.linkedLibrary("virt", .when(platforms: [.linux]))]
        ),
        // What the end-to-end tests and the benchmarks share: the built agent under test, child
        // processes, virsh and test domains, stand-in QEMUs, the run's prefix and agent settings.
        .target(
            name: "CinergyTestSupport",
            // The C library, imported once as the agent's modules import it.
            dependencies: ["CinergySystem"],
            path: "Tests/CinergyTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["CinergyCore", "CinergyLedger", "CinergySystem", "CinergyTestSupport"],
            swiftSettings: swiftSettings
        ),
        // Measurements of the release binary (`make bench`, docs/BENCHMARKS.md), not tests: a
        // target of their own, which `make test` skips.
        .testTarget(
            name: "CinergyBenchmarks",
            dependencies: ["CinergySystem", "CinergyTestSupport"],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
