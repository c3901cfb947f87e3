/// How hard the bus works so that a published message reaches a consumer, and how often.
///
/// Configured once per bus (``MessageBusConfiguration/guarantee``) and mapped onto each backend; the README's
/// guarantee table lists the mapping.
public struct DeliveryGuarantee: Sendable, CustomStringConvertible {
    /// The kinds of guarantee.
    public enum Kind: String, Sendable, Hashable {
        /// Never redelivered; may be lost.
        case atMostOnce = "at-most-once"
        /// Delivered until a consumer acknowledges it; duplicates are possible after failures.
        case atLeastOnce = "at-least-once"
        /// Broker transactions: consumed input and produced output commit together or not at all.
        case exactlyOnce = "exactly-once"
        /// At-least-once plus consumer-side de-duplication by message id.
        case effectivelyOnce = "effectively-once"
    }

    /// The kind of guarantee.
    public let kind: Kind
    /// The store that remembers processed message ids under effectively-once.
    public let deduplicationStore: (any DeduplicationStore)?

    private init(kind: Kind, deduplicationStore: (any DeduplicationStore)? = nil) {
        self.kind = kind
        self.deduplicationStore = deduplicationStore
    }

    /// Never redelivered; may be lost. Deliveries are settled before the application sees them, so
    /// ``Delivery/ack()``, ``Delivery/nack(requeue:)`` and ``Delivery/reject(reason:)`` have nothing left to do.
    public static let atMostOnce = DeliveryGuarantee(kind: .atMostOnce)

    /// Every publish the broker acknowledged is delivered until a consumer acknowledges it. The default.
    public static let atLeastOnce = DeliveryGuarantee(kind: .atLeastOnce)

    /// Transactional consume-transform-produce where the broker has transactions (Kafka); refused at configuration
    /// time elsewhere, with an error that points at ``effectivelyOnce(deduplicatingWith:)``.
    public static let exactlyOnce = DeliveryGuarantee(kind: .exactlyOnce)

    /// At-least-once plus consumer-side de-duplication: a delivery whose message id the group already
    /// acknowledged is acknowledged again and never handed to the application. Available on every backend.
    ///
    /// - Parameter store: Where acknowledged ids are remembered; a bounded in-process store by default.
    public static func effectivelyOnce(
        deduplicatingWith store: any DeduplicationStore = InMemoryDeduplicationStore(capacity: 100_000)
    ) -> DeliveryGuarantee {
        DeliveryGuarantee(kind: .effectivelyOnce, deduplicationStore: store)
    }

    /// The guarantee's name, for example `at-least-once`.
    public var description: String { self.kind.rawValue }

    /// Whether deliveries must be acknowledged to be removed (everything but at-most-once).
    public var requiresAcknowledgement: Bool { self.kind != .atMostOnce }
}
