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
    /// Why the broker under test lacks a feature a case needs, or `nil` when it has it; a case that needs a feature
    /// the broker lacks is reported unsupported with that reason. Answer from a probe of the broker, not a guess.
    public var lacks: @Sendable (ConformanceBrokerFeature) async -> String?

    /// Describes a backend under test.
    ///
    /// - Parameters:
    ///   - name: The name in reports.
    ///   - receiveTimeout: How long to wait for an expected delivery.
    ///   - quietPeriod: How long silence must last to prove absence; longer for brokers that batch fetches.
    ///   - caseTimeout: The longest a case may take.
    ///   - lacks: Why the broker lacks a feature, from a probe; `nil` for a feature it has (the default: all).
    ///   - makeBus: Opens a bus on the broker under test.
    public init(
        name: String,
        receiveTimeout: Duration = .seconds(20),
        quietPeriod: Duration = .milliseconds(500),
        caseTimeout: Duration = .seconds(120),
        lacks: @escaping @Sendable (ConformanceBrokerFeature) async -> String? = { _ in nil },
        makeBus: @escaping Factory
    ) {
        self.lacks = lacks
        self.name = name
        self.receiveTimeout = receiveTimeout
        self.quietPeriod = quietPeriod
        self.caseTimeout = caseTimeout
        self.makeBus = makeBus
    }
}

/// What a broker may lack that a backend needs for some cases.
public enum ConformanceBrokerFeature: Sendable, Hashable {
    /// Keeping what the backend stores with a group's committed position (Kafka: offset commit metadata), which
    /// counts a redelivery to another member after a cancel, a rebalance or a crash.
    case groupPositionMetadata
}

extension ConformanceBackend: CustomStringConvertible {
    /// The backend's name, as test runners show it.
    public var description: String { self.name }
}
