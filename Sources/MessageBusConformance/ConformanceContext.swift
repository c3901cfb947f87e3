public import MessageBus
import Foundation
import Synchronization

/// What a running case uses: buses on the backend under test (closed when the case ends), unique names, and
/// receive helpers with the backend's timeouts.
public final class ConformanceContext: Sendable {
    /// The backend under test.
    public let backend: ConformanceBackend
    private let caseName: String
    private let opened = Mutex<[any MessageBus]>([])

    init(backend: ConformanceBackend, caseName: String) {
        self.backend = backend
        self.caseName = caseName
    }

    /// Opens a bus with `configuration`; it is closed when the case ends.
    public func openBus(_ configuration: MessageBusConfiguration = MessageBusConfiguration()) async throws
        -> any MessageBus
    {
        let bus = try await self.backend.makeBus(configuration)
        self.opened.withLock { $0.append(bus) }
        return bus
    }

    /// Opens a bus with the default configuration and `guarantee`.
    public func openBus(guarantee: DeliveryGuarantee) async throws -> any MessageBus {
        try await self.openBus(MessageBusConfiguration(guarantee: guarantee))
    }

    /// Throws ``ConformanceUnsupported`` when the broker under test lacks `feature`.
    public func require(_ feature: ConformanceBrokerFeature) async throws {
        if let reason = await self.backend.lacks(feature) {
            throw ConformanceUnsupported(description: reason)
        }
    }

    /// A destination name no other case or run uses.
    public func uniqueName(_ label: String) -> String {
        "conformance.\(label).\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Receives exactly `count` deliveries (failing when fewer arrive within the receive timeout).
    public func receive(_ count: Int, from subscription: Subscription, what: String = "deliveries") async throws
        -> [Delivery]
    {
        var received: [Delivery] = []
        let deadline = ContinuousClock.now.advanced(by: self.backend.receiveTimeout)
        while received.count < count {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { break }
            received += try await subscription.receive(max: count - received.count, timeout: remaining)
        }
        try check(
            received.count == count,
            "expected \(count) \(what) within \(self.backend.receiveTimeout), received \(received.count): "
                + received.map { delivery in
                    delivery.message.id
                        + (delivery.position.map { " at \($0.partition.map { "[\($0)]" } ?? "")\($0.offset)" } ?? "")
                }.joined(separator: ", "))
        return received
    }

    /// Fails when a delivery arrives within the quiet period.
    public func expectNothing(from subscription: Subscription, because reason: String) async throws {
        let extra = try await subscription.receive(max: 10, timeout: self.backend.quietPeriod)
        try check(
            extra.isEmpty,
            "expected no delivery (\(reason)), received \(extra.count): \(extra.map { $0.message.text ?? $0.message.id })")
    }

    /// Receives until the quiet period passes with nothing new, and returns everything received.
    public func receiveUntilQuiet(from subscription: Subscription, atLeast minimum: Int) async throws -> [Delivery] {
        var received = try await self.receive(minimum, from: subscription)
        while true {
            let more = try await subscription.receive(max: 100, timeout: self.backend.quietPeriod)
            if more.isEmpty { return received }
            received += more
        }
    }

    func closeAll() async {
        let buses = self.opened.withLock { buses in
            defer { buses.removeAll() }
            return buses
        }
        for bus in buses { try? await bus.close(deadline: .seconds(10)) }
    }
}

/// A value shared between a case and the tasks it starts.
final class Shared<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>

    init(_ value: Value) {
        self.storage = Mutex(value)
    }

    func withValue<Result: Sendable>(_ body: (inout Value) -> Result) -> Result {
        self.storage.withLock { body(&$0) }
    }

    var value: Value { self.storage.withLock { $0 } }
}
