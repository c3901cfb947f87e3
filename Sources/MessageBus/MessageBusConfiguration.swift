public import CoreMetrics

/// Settings every backend honours, whatever its URL.
///
/// Backend-specific settings (partitions, exchange types, librdkafka properties) live in each backend's own typed
/// configuration, never here.
public struct MessageBusConfiguration: Sendable {
    /// The delivery guarantee, configured once for the whole bus. At-least-once by default.
    public var guarantee: DeliveryGuarantee
    /// A name the broker shows for this client (Kafka `client.id`, RabbitMQ connection name).
    public var clientName: String
    /// How long ``MessageBus/publish(contentsOf:to:)`` waits for the broker's acknowledgement before it throws
    /// ``MessageBusError/Code/timeout``.
    public var publishTimeout: Duration
    /// Where counters are reported (`messagebus.published`, `messagebus.consumed`, `messagebus.settled`,
    /// `messagebus.duplicates.dropped`); `nil` uses the process-wide `MetricsSystem.factory`.
    public var metricsFactory: (any MetricsFactory)?

    /// Creates a configuration.
    ///
    /// - Parameters:
    ///   - guarantee: The delivery guarantee; at-least-once by default.
    ///   - clientName: The client name shown by the broker.
    ///   - publishTimeout: How long a confirmed publish may wait.
    ///   - metricsFactory: Where counters go; the global factory when `nil`.
    public init(
        guarantee: DeliveryGuarantee = .atLeastOnce,
        clientName: String = "messagebus",
        publishTimeout: Duration = .seconds(30),
        metricsFactory: (any MetricsFactory)? = nil
    ) {
        self.guarantee = guarantee
        self.clientName = clientName
        self.publishTimeout = publishTimeout
        self.metricsFactory = metricsFactory
    }

    /// Throws ``MessageBusError/Code/unsupported`` when the guarantee needs a capability the backend lacks.
    ///
    /// Backends call this while they open, so a bad combination fails at configuration time.
    public func validate(against capabilities: MessageBusCapabilities, backend: String) throws {
        if self.guarantee.kind == .exactlyOnce && !capabilities.contains(.transactions) {
            throw MessageBusError(
                .unsupported,
                "the \(backend) backend has no broker transactions, so it cannot give exactly-once; "
                    + "use .effectivelyOnce(deduplicatingWith:) (at-least-once plus de-duplication by message id)"
            )
        }
        if self.publishTimeout <= .zero {
            throw MessageBusError.invalidConfiguration(
                key: "publishTimeout", value: "\(self.publishTimeout)", expected: "a positive duration")
        }
    }
}
