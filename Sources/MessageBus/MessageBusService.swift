public import ServiceLifecycle

/// Runs a ``MessageBus`` as a swift-service-lifecycle `Service`: on graceful shutdown it closes the bus, which
/// flushes sent messages and commits what was acknowledged, within `shutdownDeadline`.
///
/// ```swift
/// let group = ServiceGroup(services: [MessageBusService(bus), myConsumerService], logger: logger)
/// try await group.run()
/// ```
public struct MessageBusService: Service {
    /// The bus this service closes on shutdown.
    public let bus: any MessageBus
    /// How long closing may take.
    public let shutdownDeadline: Duration

    /// Creates a service for `bus`.
    public init(_ bus: any MessageBus, shutdownDeadline: Duration = .seconds(10)) {
        self.bus = bus
        self.shutdownDeadline = shutdownDeadline
    }

    /// Waits for graceful shutdown (or cancellation), then closes the bus.
    public func run() async throws {
        try? await gracefulShutdown()
        try await self.bus.close(deadline: self.shutdownDeadline)
    }
}
