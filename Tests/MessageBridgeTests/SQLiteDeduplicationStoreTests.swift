import Foundation
import MessageBridge
import MessageBus
import Testing

/// The SQLite store on its own: persistence, batches, capacity, errors, and its use under effectively-once.
@Suite("SQLite de-duplication store")
struct SQLiteDeduplicationStoreTests {
    @Test func idsSurviveReopeningTheFile() async throws {
        let path = BridgeTestSupport.temporaryStorePath()
        defer { BridgeTestSupport.removeStore(at: path) }
        do {
            let store = try SQLiteDeduplicationStore(path: path)
            try await store.insert(contentsOf: ["a", "b", "c"])
            await store.insert("d")
        }
        let reopened = try SQLiteDeduplicationStore(path: path)

        #expect(try await reopened.count() == 4)
        #expect(try await reopened.containedKeys(["a", "x", "d", "y"]) == ["a", "d"])
        #expect(await reopened.contains("b"))
        #expect(await !reopened.contains("z"))
    }

    @Test func batchesLargerThanOneStatementAreHandled() async throws {
        let store = try SQLiteDeduplicationStore(path: ":memory:")
        let keys = (0..<2_345).map { "key-\($0)" }
        try await store.insert(contentsOf: keys)
        try await store.insert(contentsOf: keys.prefix(100))

        #expect(try await store.count() == 2_345)
        #expect(try await store.containedKeys(keys + ["absent"]) == Set(keys))
    }

    @Test func theOldestIdsAreForgottenBeyondTheCapacity() async throws {
        let store = try SQLiteDeduplicationStore(path: ":memory:", capacity: 3)
        try await store.insert(contentsOf: ["1", "2", "3"])
        try await store.insert(contentsOf: ["4", "5"])

        #expect(try await store.count() == 3)
        #expect(try await store.containedKeys(["1", "2", "3", "4", "5"]) == ["3", "4", "5"])
    }

    @Test func aFileThatCannotBeOpenedIsNamed() throws {
        let path = "/nonexistent-directory-\(UUID().uuidString)/state.sqlite"
        #expect {
            _ = try SQLiteDeduplicationStore(path: path)
        } throws: { error in
            (error as? MessageBusError)?.code == .invalidConfiguration && "\(error)".contains(path)
        }
        #expect {
            _ = try SQLiteDeduplicationStore(path: ":memory:", capacity: 0)
        } throws: { error in
            (error as? MessageBusError)?.code == .invalidConfiguration && "\(error)".contains("'capacity'")
        }
    }

    @Test func anEffectivelyOnceConsumerDropsRedeliveredIdsAcrossStoreInstances() async throws {
        let path = BridgeTestSupport.temporaryStorePath()
        defer { BridgeTestSupport.removeStore(at: path) }
        let broker = "memory://store-\(UUID().uuidString.prefix(8))"
        let message = Message(text: "once", id: "fixed-id")
        for round in 0..<2 {
            // A new bus and a new store instance each round, as a restarted consumer process has.
            let store = try SQLiteDeduplicationStore(path: path)
            let bus = try await MessageBusConnector.connect(
                to: broker, configuration: MessageBusConfiguration(guarantee: .effectivelyOnce(deduplicatingWith: store)),
                logger: BridgeTestSupport.logger("test.store"))
            try await bus.publish(message, to: "orders")
            let subscription = try await bus.subscribe(to: "orders", group: "billing")
            let batch = try await subscription.receive(max: 10, timeout: .milliseconds(500))
            try await batch.ackAll()
            // The first round sees the message; the second gets the same id again and must not see it.
            #expect(batch.map(\.message.id) == (round == 0 ? ["fixed-id"] : []))
            await subscription.cancel()
            try await bus.close()
        }
    }
}
