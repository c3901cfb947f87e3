// KafkaTransform: consume-transform-produce in transactions (`withTransaction`, the exactly-once guarantee).
//
// Reads temperature readings in Celsius, publishes each in Fahrenheit and acknowledges the input in the same
// transaction: the output and the consumed offset commit together or not at all. The first reading's first
// transaction is aborted on purpose (a crash after producing): its input comes back and is transformed again, and a
// `read_committed` reader never sees the aborted output.
//
//   swift run KafkaTransform kafka://127.0.0.1:9092
//   swift run KafkaTransform memory://             (the in-memory backend has transactions too)
//
// Exactly-once needs a broker that hides aborted transactions (Apache Kafka). Opening the bus proves it first
// (`KafkaMessageBus.checkTransactionIsolation()`); on a broker that fails the check (Tansu, which `make test`
// starts) the example says so and runs with the check turned off
// (`KafkaConfiguration.requiresVerifiedTransactionIsolation = false`): the commit and abort mechanics are the
// same, but there the reader also sees the aborted output. RabbitMQ has no transactions: use
// `.effectivelyOnce(deduplicatingWith:)` there.
import Foundation
import Logging
import MessageBus
import MessageBusKafka

let url = CommandLine.arguments.dropFirst().first ?? "kafka://127.0.0.1:9092"
do {
    try await runExample(url: url)
} catch {
    print("kafka-transform: FAILED: \(error)")
    exit(1)
}

func runExample(url: String) async throws {
    let logger = Logger(label: "kafka-transform")
    let transactional = try await TransactionalBus.open(url, logger: logger)
    let bus = transactional.bus
    let run = Message.generateID().prefix(8)
    let celsius = "readings.celsius.\(run)"
    let fahrenheit = "readings.fahrenheit.\(run)"

    let dashboard = try await bus.subscribe(to: fahrenheit, group: "dashboard")
    let readings = try await bus.subscribe(to: celsius, group: "converter")
    let sample = [21.5, 22.0, 19.75, -3.0, 37.0].enumerated().map { Reading(sensor: "sensor-1", index: $0, celsius: $1) }
    for reading in sample {
        // One key: one partition, so the transformed readings keep their order.
        try await bus.publish(reading, to: celsius, key: reading.sensor, id: "reading-\(reading.index)")
    }
    print("kafka-transform: published \(sample.count) readings to \(celsius) on \(bus.backend)")

    struct SimulatedCrash: Error {}
    var transformed = Set<String>()
    var aborted = 0
    let deadline = ContinuousClock.now + .seconds(90)
    while transformed.count < sample.count, ContinuousClock.now < deadline {
        for delivery in try await readings.receive(max: 1, timeout: .milliseconds(500)) {
            let reading = try delivery.decode(Reading.self)
            let output = try Message(
                encoding: reading.inFahrenheit, key: reading.sensor, id: "\(delivery.message.id).fahrenheit")
            let crash = reading.index == 0 && aborted == 0
            do {
                try await bus.withTransaction { transaction in
                    try await transaction.publish(output, to: fahrenheit)
                    try await transaction.acknowledge(delivery)
                    if crash { throw SimulatedCrash() }
                }
                transformed.insert(delivery.message.id)
                print("kafka-transform: committed \(delivery.message.id) (attempt \(delivery.attempt))")
            } catch is SimulatedCrash {
                aborted += 1
                print("kafka-transform: aborted \(delivery.message.id): its output is discarded and the input comes back")
            }
        }
    }

    // The reader sees committed output only; it reads until every reading arrived and nothing more comes for 2 s.
    var seen: [String] = []
    let readDeadline = ContinuousClock.now + .seconds(60)
    while ContinuousClock.now < readDeadline {
        let batch = try await dashboard.receive(max: 100, timeout: .seconds(2))
        seen += batch.map(\.message.id)
        try await batch.ackAll()
        if batch.isEmpty, Set(seen).count >= sample.count { break }
    }
    try await bus.close()

    let duplicates = seen.count - Set(seen).count
    print(
        "kafka-transform: \(bus.backend): \(transformed.count) of \(sample.count) readings transformed, \(aborted) "
            + "transaction aborted and retried; the reader saw \(seen.count) outputs (\(duplicates) from the aborted one)")
    let expectedDuplicates = transactional.isolatesAbortedTransactions ? 0 : aborted
    guard transformed.count == sample.count, aborted == 1, Set(seen).count == sample.count, duplicates <= expectedDuplicates
    else {
        print("kafka-transform: FAILED: expected every reading transformed once and no aborted output visible")
        exit(1)
    }
    if !transactional.isolatesAbortedTransactions {
        print("kafka-transform: this broker does not isolate transactions: use Apache Kafka for exactly-once")
    }
}
