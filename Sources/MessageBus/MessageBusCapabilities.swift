/// What a backend can do beyond the common core every backend provides.
///
/// Asking a backend for something it lacks fails at configuration time with
/// ``MessageBusError/Code/unsupported``; nothing silently degrades.
public struct MessageBusCapabilities: OptionSet, Sendable, Hashable, CustomStringConvertible {
    /// The raw bits.
    public let rawValue: UInt32

    /// Creates a set from raw bits.
    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// Broker transactions: the ``DeliveryGuarantee/exactlyOnce`` guarantee and ``MessageBus/withTransaction(_:)``.
    public static let transactions = MessageBusCapabilities(rawValue: 1 << 0)
    /// Messages with the same key are delivered in publish order to a group.
    public static let perKeyOrdering = MessageBusCapabilities(rawValue: 1 << 1)
    /// A new subscription may start from an offset or a time in the past (``StartPosition/offset(_:)``).
    public static let replay = MessageBusCapabilities(rawValue: 1 << 2)
    /// Message priorities.
    public static let priorities = MessageBusCapabilities(rawValue: 1 << 3)
    /// A requeued delivery may be held back for a delay before it is redelivered.
    public static let delayedRedelivery = MessageBusCapabilities(rawValue: 1 << 4)
    /// ``Delivery/reject(reason:)`` moves a message to a dead-letter destination.
    public static let deadLettering = MessageBusCapabilities(rawValue: 1 << 5)
    /// Faults can be injected for tests (a lost connection, a broker restart).
    public static let faultInjection = MessageBusCapabilities(rawValue: 1 << 6)

    private static let names: [(MessageBusCapabilities, String)] = [
        (.transactions, "transactions"), (.perKeyOrdering, "per-key ordering"), (.replay, "replay"),
        (.priorities, "priorities"), (.delayedRedelivery, "delayed redelivery"),
        (.deadLettering, "dead-lettering"), (.faultInjection, "fault injection"),
    ]

    /// The capabilities' names, comma-separated.
    public var description: String {
        let present = Self.names.filter { self.contains($0.0) }.map(\.1)
        return present.isEmpty ? "none" : present.joined(separator: ", ")
    }
}
