public import MessageBus

/// A backend under test: how to open buses on it, and how long to wait on it.
///
/// Every bus the factory opens must reach the same broker, so that one bus can publish what another consumes and
/// a group outlives the bus that created it.
public struct ConformanceBackend: Sendable {
    /// Opens a bus with the given configuration.
    public typealias Factory = @Sendable (MessageBusConfiguration) async throws -> any MessageBus

    /// The backend's name in reports (`memory`, `kafka`, `rabbitmq`).
    public var name: String
    /// How long a case waits for a delivery it expects.
    public var receiveTimeout: Duration
    /// How long without a delivery proves that none is coming.
    public var quietPeriod: Duration
    /// The longest a whole case may take.
    public var caseTimeout: Duration
    /// Opens a bus.
    public var makeBus: Factory

    /// Describes a backend under test.
    ///
    /// - Parameters:
    ///   - name: The name in reports.
    ///   - receiveTimeout: How long to wait for an expected delivery.
    ///   - quietPeriod: How long silence must last to prove absence; longer for brokers that batch fetches.
    ///   - caseTimeout: The longest a case may take.
    ///   - makeBus: Opens a bus on the broker under test.
    public init(
        name: String,
        receiveTimeout: Duration = .seconds(20),
        quietPeriod: Duration = .milliseconds(500),
        caseTimeout: Duration = .seconds(120),
        makeBus: @escaping Factory
    ) {
        self.name = name
        self.receiveTimeout = receiveTimeout
        self.quietPeriod = quietPeriod
        self.caseTimeout = caseTimeout
        self.makeBus = makeBus
    }
}

extension ConformanceBackend: CustomStringConvertible {
    /// The backend's name, as test runners show it.
    public var description: String { self.name }
}
