import Foundation
import MessageBridge
import MessageBus
import Testing

/// The bridge between two in-memory buses: fields, de-duplication across instances, the cut-over report.
@Suite("Message bridge (memory)", .timeLimit(.minutes(2)))
struct MessageBridgeMemoryTests {
    @Test func everyFieldIsCopiedUnchanged() async throws {
        let source = try await BridgeTestSupport.memoryBus()
        let target = try await BridgeTestSupport.memoryBus()
        let sent = (0..<50).map { BridgeTestSupport.richMessage($0) }
        try await source.publish(contentsOf: sent, to: "orders")
        let bridge = MessageBridge(
            from: source, to: target, source: .destination("orders", group: "bridge"),
            options: MessageBridgeOptions(batchSize: 16, maxInFlight: 32, cutOverIdle: .milliseconds(300)))

        let report = try await bridge.run()

        #expect(report.stopReason == .cutOver)
        #expect(report.copied == 50)
        let received = try await BridgeTestSupport.drain(target, destination: "orders", group: "check", expected: 50)
        // `Message` is compared field by field: payload, key, headers, id, timestamp, content type, correlation id.
        #expect(received == sent)
    }

    @Test func aRestartedBridgeSkipsWhatItCopied() async throws {
        let path = BridgeTestSupport.temporaryStorePath()
        defer { BridgeTestSupport.removeStore(at: path) }
        let source = try await BridgeTestSupport.memoryBus()
        let target = try await BridgeTestSupport.memoryBus()
        try await source.publish(contentsOf: (0..<40).map { BridgeTestSupport.richMessage($0) }, to: "orders")

        func runBridge(group: String) async throws -> MessageBridgeReport {
            // A new store instance on the same file each time, as a restarted process would open it.
            let store = try SQLiteDeduplicationStore(path: path)
            return try await MessageBridge(
                from: source, to: target, source: .destination("orders", group: group),
                options: MessageBridgeOptions(batchSize: 10, maxInFlight: 20, deduplicationStore: store,
                    cutOverIdle: .milliseconds(300))
            ).run()
        }
        let first = try await runBridge(group: "first")
        // A second group reads the whole destination again: the source redelivers all 40, plus 10 new ones.
        try await source.publish(contentsOf: (40..<50).map { BridgeTestSupport.richMessage($0) }, to: "orders")
        let second = try await runBridge(group: "second")

        #expect(first.copied == 40 && first.duplicatesSkipped == 0)
        #expect(second.copied == 10 && second.duplicatesSkipped == 40)
        #expect(try await SQLiteDeduplicationStore(path: path).count() == 50)
        let received = try await BridgeTestSupport.drain(target, destination: "orders", group: "check", expected: 50)
        #expect(received.count == 50)
        #expect(Set(received.map(\.id)).count == 50)
    }

    @Test func theCutOverReportCountsCopiesDuplicatesDeadLettersAndPositions() async throws {
        let source = try await BridgeTestSupport.memoryBus()
        let target = try await BridgeTestSupport.memoryBus()
        let messages = (0..<30).map { BridgeTestSupport.richMessage($0) }
        // Five messages published twice (a producer retry): the same ids at new offsets.
        try await source.publish(contentsOf: messages + messages.prefix(5), to: "orders")
        let dead = (100..<104).map { BridgeTestSupport.richMessage($0) }
        try await source.publish(contentsOf: dead, to: "orders.dlq")
        let store = try SQLiteDeduplicationStore(path: ":memory:")
        let bridge = MessageBridge(
            from: source, to: target, source: .destination("orders", group: "bridge"),
            options: MessageBridgeOptions(batchSize: 8, maxInFlight: 16, deduplicationStore: store,
                cutOverIdle: .milliseconds(400), deadLetters: true))
        let started = ContinuousClock.now

        let report = try await bridge.run()

        #expect(report.stopReason == .cutOver)
        #expect(report.copied == 30)
        #expect(report.duplicatesSkipped == 5)
        #expect(report.deadLettersMoved == 4)
        #expect(report.final.inFlight == 0)
        #expect(report.elapsed >= .milliseconds(400) && report.elapsed <= ContinuousClock.now - started)
        #expect(report.positions == [
            MessageBridgePositionRange(destination: "orders", partition: nil, unit: .offset, first: 0, last: 34),
            MessageBridgePositionRange(destination: "orders.dlq", partition: nil, unit: .offset, first: 0, last: 3),
        ])
        let deadLetters = try await BridgeTestSupport.drain(target, destination: "orders.dlq", group: "c", expected: 4)
        #expect(deadLetters == dead)
        let copied = try await BridgeTestSupport.drain(target, destination: "orders", group: "c", expected: 30)
        #expect(copied == messages)
    }

    @Test func progressIsReportedWhileCopying() async throws {
        let source = try await BridgeTestSupport.memoryBus()
        let target = try await BridgeTestSupport.memoryBus()
        try await source.publish(contentsOf: (0..<20).map { BridgeTestSupport.richMessage($0) }, to: "orders")
        let snapshots = SnapshotRecorder()
        let report = try await MessageBridge(
            from: source, to: target, source: .destination("orders", group: "bridge"),
            options: MessageBridgeOptions(cutOverIdle: .milliseconds(500), progressInterval: .milliseconds(50),
                sourceLag: { 0 })
        ).run { snapshots.append($0) }

        let seen = snapshots.all
        #expect(!seen.isEmpty)
        #expect(seen.last?.copied == 20)
        #expect(seen.allSatisfy { $0.sourceLag == 0 })
        #expect(zip(seen, seen.dropFirst()).allSatisfy { $0.elapsed <= $1.elapsed && $0.copied <= $1.copied })
        #expect(report.final.sourceLag == 0)
    }

    @Test func theCutOverWaitsForTheSourceLagToReachZero() async throws {
        let source = try await BridgeTestSupport.memoryBus()
        let target = try await BridgeTestSupport.memoryBus()
        let started = ContinuousClock.now
        // The probe reports a lag for the first second, as a source that has not caught up would.
        let report = try await MessageBridge(
            from: source, to: target, source: .destination("orders", group: "bridge"),
            options: MessageBridgeOptions(cutOverIdle: .milliseconds(200), sourceLag: {
                ContinuousClock.now - started < .seconds(1) ? 5 : 0
            })
        ).run()

        #expect(report.stopReason == .cutOver)
        #expect(ContinuousClock.now - started >= .seconds(1))
        #expect(report.copied == 0)
    }

    @Test func cancellingReturnsACancelledReport() async throws {
        let source = try await BridgeTestSupport.memoryBus()
        let target = try await BridgeTestSupport.memoryBus()
        try await source.publish(contentsOf: (0..<10).map { BridgeTestSupport.richMessage($0) }, to: "orders")
        let bridge = MessageBridge(from: source, to: target, source: .destination("orders", group: "bridge"))
        let task = Task { try await bridge.run() }
        let received = try await BridgeTestSupport.drain(target, destination: "orders", group: "c", expected: 10)
        task.cancel()
        let report = try await task.value

        #expect(received.count == 10)
        #expect(report.stopReason == .cancelled)
        #expect(report.copied == 10)
    }

    @Test func badOptionsAreNamed() async throws {
        let bus = try await BridgeTestSupport.memoryBus()
        let cases: [(MessageBridgeOptions, String)] = [
            (MessageBridgeOptions(batchSize: 0), "'batchSize'"),
            (MessageBridgeOptions(batchSize: 100, maxInFlight: 10), "'maxInFlight'"),
            (MessageBridgeOptions(cutOverIdle: .zero), "'cutOverIdle'"),
        ]
        for (options, named) in cases {
            await #expect {
                _ = try await MessageBridge(from: bus, to: bus, source: .destination("d", group: "g"), options: options)
                    .run()
            } throws: { error in
                (error as? MessageBusError)?.code == .invalidConfiguration && "\(error)".contains(named)
            }
        }
        await #expect {
            _ = try await MessageBridge(
                from: bus, to: bus,
                source: .subscription("custom") { try await bus.subscribe(to: "d", group: "g", options: $0) },
                options: MessageBridgeOptions(deadLetters: true)
            ).run()
        } throws: { error in
            (error as? MessageBusError)?.code == .unsupported && "\(error)".contains("custom")
        }
    }

    @Test func aCustomSubscriptionIsBridgedUnderEachDeliveryDestination() async throws {
        let source = try await BridgeTestSupport.memoryBus()
        let target = try await BridgeTestSupport.memoryBus()
        try await source.publish(contentsOf: (0..<5).map { BridgeTestSupport.richMessage($0) }, to: "invoices")
        let report = try await MessageBridge(
            from: source, to: target,
            source: .subscription("invoices, custom") { options in
                try await source.subscribe(to: "invoices", group: "custom", options: options)
            },
            options: MessageBridgeOptions(targetDestination: { "migrated.\($0)" }, cutOverIdle: .milliseconds(300))
        ).run()

        #expect(report.copied == 5)
        let received = try await BridgeTestSupport.drain(target, destination: "migrated.invoices", group: "c", expected: 5)
        #expect(received.count == 5)
    }

    @Test func aFailingTargetStopsTheBridgeAndNothingIsLost() async throws {
        let source = try await BridgeTestSupport.memoryBus()
        let target = try #require(try await BridgeTestSupport.memoryBus() as? InMemoryMessageBus)
        let sent = (0..<30).map { BridgeTestSupport.richMessage($0) }
        try await source.publish(contentsOf: sent, to: "orders")
        let store = try SQLiteDeduplicationStore(path: ":memory:")
        func bridge() -> MessageBridge {
            MessageBridge(
                from: source, to: target, source: .destination("orders", group: "bridge"),
                options: MessageBridgeOptions(batchSize: 10, maxInFlight: 20, deduplicationStore: store,
                    cutOverIdle: .milliseconds(300)))
        }
        // The second send fails: the first batch may be copied, the others go back to the source unacknowledged.
        target.failNextPublishes(0)
        let failing = Task {
            target.failNextPublishes(1)
            return try await bridge().run()
        }
        await #expect {
            _ = try await failing.value
        } throws: { error in
            (error as? MessageBusError)?.code == .connectionFailed
        }
        let retried = try await bridge().run()

        let received = try await BridgeTestSupport.drain(target, destination: "orders", group: "c", expected: 30)
        #expect(Set(received.map(\.id)) == Set(sent.map(\.id)))
        #expect(received.count == 30)
        #expect(retried.copied + retried.duplicatesSkipped >= 30 - 10)
        #expect(try await store.count() == 30)
    }

    @Test func aSourceThatGaveBackACopiedBatchDoesNotStopTheBridge() async throws {
        let source = try #require(try await BridgeTestSupport.memoryBus() as? InMemoryMessageBus)
        let target = try await BridgeTestSupport.memoryBus()
        let sent = (0..<30).map { BridgeTestSupport.richMessage($0) }
        try await source.publish(contentsOf: sent, to: "orders")
        // After the first batch is copied, the source loses its connection: acknowledging that batch throws
        // alreadySettled and the source delivers it again, which the store recognises.
        let report = try await MessageBridge(
            from: source, to: SourceLosingTarget(forwardingTo: target, losing: source),
            source: .destination("orders", group: "bridge"),
            options: MessageBridgeOptions(
                batchSize: 10, maxInFlight: 10, deduplicationStore: try SQLiteDeduplicationStore(path: ":memory:"),
                cutOverIdle: .milliseconds(300))
        ).run()

        #expect(report.stopReason == .cutOver)
        #expect(report.copied == 30)
        #expect(report.duplicatesSkipped >= 1)
        let received = try await BridgeTestSupport.drain(target, destination: "orders", group: "check", expected: 30)
        #expect(received.count == 30)
        #expect(Set(received.map(\.id)) == Set(sent.map(\.id)))
    }
}
