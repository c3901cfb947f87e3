// Migration: moving a consumer service from one broker to another without losing or repeating an order.
//
//   1. Dual-run: the billing service consumes `orders` on the old and the new broker at once, with
//      effectively-once de-duplication in one store shared by both buses; publishers move to the new broker, one
//      of them writing to both during its rolling deploy. Every order is billed once.
//   2. Bridge: the old consumers are retired, but a straggler job still published a backlog to the old broker.
//      `MessageBridge` copies it, and the old dead letters, to the new broker (ids, keys, headers and payloads
//      unchanged), acknowledging the old broker only after the new one confirmed.
//   3. Cut-over: the bridge stops once the old broker has had nothing to copy for a while, and prints its report.
//
//   swift run Migration OLD_URL NEW_URL
//   swift run Migration kafka://127.0.0.1:9092 amqp://guest:guest@127.0.0.1:5672/%2F
//   swift run Migration                        (memory://legacy to memory://target, no broker needed)
//
// See Examples/Migration/README.md for the walkthrough. It stops by itself and exits non-zero if an order was
// lost or billed twice.
import Foundation
import Logging
import MessageBridge
import MessageBus
import MessageBusKafka
import MessageBusRabbitMQ

let arguments = Array(CommandLine.arguments.dropFirst())
let oldURL = arguments.first ?? "memory://legacy"
let newURL = arguments.dropFirst().first ?? "memory://target"
do {
    try await runExample(from: oldURL, to: newURL)
} catch {
    print("migration: FAILED: \(error)")
    exit(1)
}

func runExample(from oldURL: String, to newURL: String) async throws {
    let logger = Logger(label: "migration")
    // One store for both buses: an order that reaches the group through both brokers is billed once.
    let billed = InMemoryDeduplicationStore(capacity: 100_000)
    let configuration = MessageBusConfiguration(guarantee: .effectivelyOnce(deduplicatingWith: billed))
    let backends: [MessageBusBackend] = [.inMemory, .kafka, .rabbitMQ]
    let old = try await MessageBusConnector.connect(
        to: oldURL, configuration: configuration, backends: backends, logger: logger)
    let new = try await MessageBusConnector.connect(
        to: newURL, configuration: configuration, backends: backends, logger: logger)
    let orders = "orders.\(Message.generateID().prefix(8))"
    print("migration: moving '\(orders)' from \(old.backend) to \(new.backend)")
    let ledger = OrderLedger()
    let oldService = try await BillingService.start(on: old, destination: orders, name: "old", ledger: ledger)
    let newService = try await BillingService.start(on: new, destination: orders, name: "new", ledger: ledger)

    // 1. Dual-run.
    let legacy = (1...10).map { Order(number: $0, amountCents: $0 == 7 ? -100 : 1_000 + $0) }
    try await publish(legacy, to: orders, on: old)
    let rollingDeploy = (11...15).map { Order(number: $0, amountCents: 1_000 + $0) }
    try await publish(rollingDeploy, to: orders, on: old)
    // De-duplication drops a copy whose id the group has already settled; two copies handled at the same moment
    // on both brokers would both run, so the second write comes once the first is billed (as in a rolling
    // deploy, where the same order reaches the new broker later).
    try await ledger.waitUntil(billed: 14, rejected: 1)
    try await publish(rollingDeploy, to: orders, on: new)
    let switched = (16...25).map { Order(number: $0, amountCents: 1_000 + $0) }
    try await publish(switched, to: orders, on: new)
    try await ledger.waitUntil(billed: 24, rejected: 1)
    print(
        "migration: dual-run: \(ledger.billedCount) orders billed (\(ledger.billedCount(by: "old")) from the old "
            + "broker, \(ledger.billedCount(by: "new")) from the new), orders 11-15 written to both billed once, "
            + "order 7 dead-lettered on the old broker")

    // 2. Bridge. The old consumers are retired; a job that was never reconfigured still writes to the old broker.
    await oldService.stop()
    let straggler = (26...45).map { Order(number: $0, amountCents: 1_000 + $0) }
    try await publish(straggler, to: orders, on: old)
    print("migration: old consumers retired; a straggler job left \(straggler.count) orders on the old broker")
    // The bridge is a tool of its own, with its own connections: at-least-once, de-duplicated in its own store.
    // (On the service's buses, its acknowledgements would enter the service's store as "billed".)
    let bridgeSource = try await MessageBusConnector.connect(to: oldURL, backends: backends, logger: logger)
    let bridgeTarget = try await MessageBusConnector.connect(to: newURL, backends: backends, logger: logger)
    let storePath = FileManager.default.temporaryDirectory.appendingPathComponent("migration-\(orders).sqlite").path
    defer { try? FileManager.default.removeItem(atPath: storePath) }
    let bridge = MessageBridge(
        from: bridgeSource, to: bridgeTarget, source: .destination(orders, group: BillingService.group),
        options: MessageBridgeOptions(
            deduplicationStore: try SQLiteDeduplicationStore(path: storePath), cutOverIdle: .seconds(3),
            deadLetters: true),
        logger: logger)

    // 3. Cut-over: the bridge returns once the old broker has been idle for three seconds.
    let report = try await bridge.run { progress in
        print("migration: bridge: \(progress.copied) copied, \(progress.inFlight) in flight")
    }
    try await bridgeSource.close()
    try await bridgeTarget.close()
    try await ledger.waitUntil(billed: 44, rejected: 1)
    let deadLetter = try await firstDeadLetter(of: orders, on: new)
    await newService.stop()
    try await old.close()
    try await new.close()

    print(
        "migration: cut-over after \(seconds(report.elapsed)): \(report.copied) copied, \(report.deadLettersMoved) dead "
            + "letters moved, \(report.duplicatesSkipped) duplicates skipped; positions "
            + report.positions.map { "\($0)" }.joined(separator: ", "))
    print(
        "migration: \(ledger.billedCount) orders billed, \(ledger.billedTwice.count) billed twice; the new broker's "
            + "dead letters hold order \(deadLetter.map { "\($0.number)" } ?? "none")")
    let everyOrder = Set(1...45).subtracting([7])
    guard Set(ledger.billedNumbers) == everyOrder, ledger.billedTwice.isEmpty, deadLetter?.number == 7,
        report.copied >= straggler.count
    else {
        print("migration: FAILED: expected orders 1-45 but 7 billed once each, and order 7 dead-lettered on the new broker")
        exit(1)
    }
}

/// Publishes `orders` as JSON, keyed by order number, with ids that stay the same on either broker.
func publish(_ orders: [Order], to destination: String, on bus: any MessageBus) async throws {
    let messages = try orders.map { try Message(encoding: $0, key: "order-\($0.number)", id: "order-\($0.number)") }
    try await bus.publish(contentsOf: messages, to: destination)
}

/// The first dead letter of `destination` on `bus`, read as the billing group (which the bridge copied it for).
func firstDeadLetter(of destination: String, on bus: any MessageBus) async throws -> Order? {
    let deadLetters = try await bus.subscribe(to: "\(destination).dlq", group: BillingService.group)
    defer { Task { await deadLetters.cancel() } }
    let delivered = try await deadLetters.receive(max: 1, timeout: .seconds(20))
    try await delivered.ackAll()
    return try delivered.first?.decode(Order.self)
}

/// `3.4 s`.
func seconds(_ duration: Duration) -> String {
    let (whole, fraction) = duration.components
    return String(format: "%.1f s", Double(whole) + Double(fraction) / 1e18)
}
