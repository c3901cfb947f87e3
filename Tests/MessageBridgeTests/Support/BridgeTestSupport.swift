import Foundation
import Logging
import MessageBridge
import MessageBus
import MessageBusIntegrationSupport

/// Helpers shared by the bridge's tests: buses, messages with every field set, and draining a destination.
enum BridgeTestSupport {
    /// A logger at MESSAGEBUS_TEST_LOG_LEVEL (`error` by default, so the brokers' connection noise stays out).
    static func logger(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = Logger.Level(
            rawValue: IntegrationEnvironment.value(of: "MESSAGEBUS_TEST_LOG_LEVEL", default: "error")) ?? .error
        return logger
    }

    /// A new in-memory broker of its own.
    static func memoryBus() async throws -> any MessageBus {
        try await MessageBusConnector.connect(
            to: "memory://bridge-\(UUID().uuidString.prefix(8))", logger: logger("test.bridge.memory"))
    }

    /// A message with every field set, binary payload and headers included; `index` makes it unique.
    static func richMessage(_ index: Int, key: String? = nil) -> Message {
        Message(
            payload: [0x00, 0xFF, 0x7F, 0x80] + Array("payload-\(index)".utf8),
            key: key ?? "key-\(index % 7)",
            headers: MessageHeaders([
                MessageHeader(name: "tenant", value: "acme-\(index)"),
                MessageHeader(name: "binary", value: [0x00, 0xC3, 0x28, 0xFF]),
            ]),
            id: "id-\(index)-\(UUID().uuidString)",
            // Whole milliseconds: the precision Kafka keeps.
            timestamp: Date(timeIntervalSince1970: 1_767_225_600.123 + Double(index)),
            contentType: "application/octet-stream",
            correlationID: "correlation-\(index)")
    }

    /// A temporary SQLite path, removed (with its WAL files) by `cleanUp`.
    static func temporaryStorePath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("bridge-\(UUID().uuidString).sqlite").path
    }

    /// Removes a store file and its WAL companions.
    static func removeStore(at path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    /// Consumes `destination` as `group` until `expected` deliveries arrived or `quiet` passed without one, and
    /// returns them (acknowledged).
    static func drain(
        _ bus: any MessageBus, destination: String, group: String, expected: Int, quiet: Duration = .seconds(3)
    ) async throws -> [Message] {
        let subscription = try await bus.subscribe(
            to: destination, group: group, options: SubscriptionOptions(startPosition: .earliest, prefetch: 2_000))
        var messages: [Message] = []
        while messages.count < expected {
            let batch = try await subscription.receive(max: 1_000, timeout: quiet)
            if batch.isEmpty { break }
            messages += batch.map(\.message)
            try await batch.ackAll()
        }
        // Anything beyond the expected count (a duplicate) shows up within a short extra wait.
        let extra = try await subscription.receive(max: 1_000, timeout: .milliseconds(500))
        messages += extra.map(\.message)
        try await extra.ackAll()
        await subscription.cancel()
        return messages
    }
}
