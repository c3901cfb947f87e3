// CodableConsumer: Codable payloads, retries, and a poison message that ends in the dead-letter destination.
//
// Publishes payment requests as JSON (`bus.publish(value, to:key:)`). `Subscription.process(_:retry:handler:)`
// decodes each into a `PaymentRequest` before the handler sees it: the good ones are charged; the poison one makes
// the handler throw every time, so `RetryPolicy(maxAttempts: 3)` redelivers it twice (after 0.2 s, then about
// 0.4 s: its default backoff), then dead-letters it with the error as the reason; a payload that is not a `PaymentRequest` never reaches the handler and is dead-lettered
// at once. A second subscription reads `<destination>.dlq` and prints what arrived there and why.
//
//   swift run CodableConsumer [URL]     URL: memory:// (default), kafka://127.0.0.1:9092, amqp://...
//
// It stops by itself once everything is charged or dead-lettered, and exits non-zero if anything else happened.
import Foundation
import Logging
import MessageBus
import MessageBusKafka
import MessageBusRabbitMQ

let url = CommandLine.arguments.dropFirst().first ?? "memory://"
do {
    try await runExample(url: url)
} catch {
    print("codable-consumer: FAILED: \(error)")
    exit(1)
}

func runExample(url: String) async throws {
    let bus = try await MessageBusConnector.connect(
        to: url, backends: [.inMemory, .kafka, .rabbitMQ], logger: Logger(label: "codable-consumer"))
    let payments = "payments.\(Message.generateID().prefix(8))"
    let retry = RetryPolicy(maxAttempts: 3)

    // Both subscriptions exist before the first publish (on RabbitMQ a group receives what arrives after its queue).
    let deadLetters = try await bus.subscribe(to: "\(payments).dlq", group: "audit")
    let requests = try await bus.subscribe(to: payments, group: "billing")

    let good = [
        PaymentRequest(id: "pay-1", customer: "alice", amountCents: 1_250),
        PaymentRequest(id: "pay-2", customer: "bob", amountCents: 9_900),
        PaymentRequest(id: "pay-3", customer: "carol", amountCents: 420),
    ]
    let poison = PaymentRequest(id: "pay-4", customer: "mallory", amountCents: -5_000)
    for payment in good + [poison] {
        try await bus.publish(payment, to: payments, key: payment.customer, id: payment.id)
    }
    let malformed = Message(
        payload: Array(#"{"note": "not a payment"}"#.utf8), id: "not-a-payment", contentType: "application/json")
    try await bus.publish(malformed, to: payments)
    print("codable-consumer: published 4 payment requests and 1 malformed payload to \(payments) on \(bus.backend)")

    let ledger = PaymentLedger()
    let consumer = Task {
        try await requests.process(PaymentRequest.self, retry: retry) { payment, delivery in
            print("codable-consumer: \(payment.id) for \(payment.customer), attempt \(delivery.attempt) of \(retry.maxAttempts)")
            try ledger.charge(payment)
        }
    }

    var deadLettered: [String: String] = [:]
    let deadline = ContinuousClock.now + .seconds(90)
    while deadLettered.count < 2, ContinuousClock.now < deadline {
        for delivery in try await deadLetters.receive(max: 10, timeout: .seconds(1)) {
            let reason = delivery.message.headers[WellKnownHeader.deadLetterReason] ?? "(no reason)"
            print("codable-consumer: dead letter \(delivery.message.id): \(reason)")
            deadLettered[delivery.message.id] = reason
            try await delivery.ack()
        }
    }
    while ledger.charged.count < good.count, ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(50))
    }
    consumer.cancel()
    _ = await consumer.result
    await deadLetters.cancel()
    try await bus.close()

    let charged = ledger.charged.sorted()
    let poisonAttempts = ledger.attempts(of: poison.id)
    print(
        "codable-consumer: \(bus.backend): charged \(charged.joined(separator: ", ")); \(poison.id) failed "
            + "\(poisonAttempts) times, then was dead-lettered; \(deadLettered.count) dead letters")
    guard charged == good.map(\.id).sorted(),
        poisonAttempts == retry.maxAttempts,
        deadLettered[poison.id]?.contains("failed \(retry.maxAttempts) of \(retry.maxAttempts) attempts") == true,
        deadLettered["not-a-payment"]?.contains("PaymentRequest") == true
    else {
        print("codable-consumer: FAILED: expected 3 charged, 3 attempts of \(poison.id), 2 dead letters with reasons")
        exit(1)
    }
}
