public import CinergyCore
public import CinergyFleet
import CinergyLibvirt
public import CinergyLedger
public import CinergyMeter
import CinergySystem
public import Hummingbird
public import Logging
public import ServiceLifecycle
import HummingbirdCore
import HummingbirdTLS
import NIOCore

/// The router with every route of the API, for the application and for tests.
public func buildRouter(
    configuration: AgentConfiguration,
    registry: VMRegistry,
    hostMonitor: HostPowerMonitor? = nil,
    startedAtUnixSeconds: Double = SystemClock.unixSeconds(),
    ledger: Ledger? = nil,
    emissionFactors: (any EmissionFactorSchedule)? = nil,
    guestChannels: GuestChannels? = nil,
    fleet: FleetReplicator? = nil
) -> Router<BasicRequestContext> {
    let hostMonitor = hostMonitor ?? configuration.hostPowerMonitor()
    let requests = RequestCounter()
    // The route table: every endpoint of the API, once.
    var endpoints: [Endpoint<BasicRequestContext>] = []
    endpoints += PowerRoutes(
        registry: registry, powerModel: configuration.powerModel, carbonModel: configuration.carbonModel,
        emissionFactors: emissionFactors, embodied: configuration.embodiedModel,
        hostMonitor: configuration.hostMeterConfigured ? hostMonitor : nil
    )
    .endpoints
    // The ledger's reports (issue 13).
    endpoints += EnergyRoutes(ledger: ledger).endpoints
    endpoints += ReportRoutes(ledger: ledger).endpoints
    endpoints += VMRoutes(registry: registry, powerModel: configuration.powerModel).endpoints
    endpoints += HistoryRoutes(registry: registry, powerModel: configuration.powerModel).endpoints
    endpoints += MetricsRoutes(
        registry: registry, configuration: configuration, requests: requests, hostMonitor: hostMonitor,
        emissionFactors: emissionFactors, ledger: ledger, guestChannels: guestChannels, fleet: fleet
    )
    .endpoints
    endpoints += HostRoutes(
        registry: registry, powerModel: configuration.powerModel, monitor: hostMonitor, meterConfigured: configuration.hostMeterConfigured,
        embodied: configuration.embodiedModel
    ).endpoints
    endpoints += DashboardRoutes().endpoints
    endpoints += OpenAPIRoutes().endpoints
    endpoints += HealthRoutes(
        registry: registry,
        sampleIntervalSeconds: configuration.sampleIntervalSeconds,
        startedAtUnixSeconds: startedAtUnixSeconds,
        hostMonitor: configuration.hostMeterConfigured ? hostMonitor : nil,
        ledger: ledger,
        fleet: fleet
    ).endpoints
    let routes = endpoints.allowedMethods()
    // HEAD wherever GET is: the GET response's status and headers, no body.
    let router = Router(context: BasicRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.add(middleware: RequestCountingMiddleware(counter: requests, routes: Set(routes.keys)))
    router.add(middleware: SecurityHeadersMiddleware())
    router.add(middleware: JSONErrorMiddleware(routes: routes))
    if let token = configuration.authToken {
        router.add(middleware: BearerAuthMiddleware(token: token, openPaths: ["/health", "/"]))
    }
    router.add(endpoints)
    return router
}

/// The whole agent: the HTTP server (HTTPS when configured) plus the sampler, the libvirt source
/// and any other `services`, ready to run. Throws when the TLS configuration cannot be used.
/// With a `ledger` (opened by `Agent.run`), its flush service runs too (listed first, so it stops
/// last and its final flush sees the sampler's last round, then the fleet's last replication
/// round sends what it wrote); with an emission factor file, the service that re-reads it.
public func buildApplication(
    configuration: AgentConfiguration,
    registry: VMRegistry? = nil,
    ledger: Ledger? = nil,
    emissionFactors: EmissionFactorFile? = nil,
    services extraServices: [any Service] = [],
    logger: Logger
) throws -> some ApplicationProtocol {
    let registry = registry ?? VMRegistry(accounting: configuration.accounting, emissionFactors: emissionFactors)
    let procfs = ProcFS(root: configuration.procRoot)
    let sampler = Sampler(
        registry: registry,
        configuration: .init(
            intervalSeconds: configuration.sampleIntervalSeconds,
            procfs: procfs,
            scanProcfs: configuration.procfsDiscovery
        ),
        logger: logger
    )
    // The ledger replicated to the fleet's database (issue 20), off the sampling and HTTP paths;
    // its last round runs after the ledger's final flush, before the ledger closes.
    var fleet: FleetReplicator?
    if let fleetConfiguration = configuration.fleetConfiguration, let ledger {
        fleet = FleetReplicator(configuration: fleetConfiguration, ledgerPath: { ledger.store?.path }, logger: logger)
    }
    var services: [any Service] = []
    if let ledger {
        var afterFinalFlush: (@Sendable () async -> Void)?
        if let fleet { afterFinalFlush = { _ = await fleet.finalRound() } }
        services.append(LedgerService(ledger: ledger, afterFinalFlush: afterFinalFlush))
    }
    services.append(sampler)
    if let emissionFactors {
        services.append(EmissionFactorWatcher(file: emissionFactors, logger: logger, accounts: registry.accounts))
    }
    let hostMonitor = configuration.hostPowerMonitor()
    if configuration.hostMeterConfigured {
        services.append(
            HostMeterService(
                configuration: .init(
                    choice: configuration.hostMeter,
                    sysfsRoot: configuration.sysfsRoot,
                    procRoot: configuration.procRoot,
                    intervalSeconds: max(1, configuration.sampleIntervalSeconds)
                ),
                monitor: hostMonitor,
                model: configuration.powerModel,
                registry: registry,
                logger: logger
            )
        )
    }
    if let uri = configuration.libvirtURI {
        services.append(
            LibvirtSource(
                registry: registry,
                configuration: .init(
                    uri: uri,
                    locator: QEMUProcessLocator(procfs: procfs),
                    refreshIntervalSeconds: configuration.sampleIntervalSeconds
                ),
                logger: logger
            )
        )
    }
    // Each libvirt VM's own figures inside the VM, over its virtio-serial channel (issue 21).
    var guestChannels: GuestChannels?
    if configuration.guestChannel, let uri = configuration.libvirtURI {
        let channels = GuestChannels()
        guestChannels = channels
        services.append(
            GuestChannelService(
                registry: registry,
                configuration: .init(
                    uri: uri, hotplug: configuration.guestChannelHotplug, sampleIntervalSeconds: configuration.sampleIntervalSeconds,
                    powerModel: configuration.powerModel, carbonModel: configuration.carbonModel, emissionFactors: emissionFactors,
                    embodied: configuration.embodiedModel
                ),
                channels: channels,
                logger: logger
            )
        )
    }
    // Listed after the ledger's service, the replication stops before it (ServiceLifecycle stops
    // services in reverse order, each after the one before has returned).
    if let fleet { services.append(FleetReplicationService(replicator: fleet)) }
    // Idle connections are closed after 30 s; request heads are limited to 32 KiB (a header field
    // to 16 KiB, 100 fields), answered with 431 beyond.
    let http1 = HTTP1Channel.Configuration(
        idleTimeout: .seconds(30),
        httpDecoderConfiguration: .init(maxHeaderFieldSize: 16 * 1024, maxHeaderListSize: 32 * 1024, maxHeaderFieldCount: 100)
    )
    var server = HTTPServerBuilder.http1(configuration: http1)
    if let tls = configuration.tls {
        let tlsConfiguration = TLSConfiguration.makeServerConfiguration(
            certificateChain: tls.certificateChain.map { .certificate($0) },
            privateKey: .privateKey(tls.privateKey)
        )
        server = try .tls(.http1(configuration: http1), tlsConfiguration: tlsConfiguration)
    }
    return Application(
        router: buildRouter(
            configuration: configuration, registry: registry, hostMonitor: hostMonitor, ledger: ledger, emissionFactors: emissionFactors,
            guestChannels: guestChannels, fleet: fleet
        ),
        server: server,
        configuration: .init(
            address: .hostname(configuration.bindAddress, port: configuration.port),
            serverName: "cinergy"
        ),
        services: services + extraServices,
        logger: logger
    )
}
