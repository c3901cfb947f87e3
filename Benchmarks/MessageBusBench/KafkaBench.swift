import Foundation
import MessageBus
import MessageBusKafka

/// Kafka: raw librdkafka and MessageBus each produce the same number of records to one topic, then each
/// consumes all of them in a group of its own.
struct KafkaBench {
    let brokers: String
    let messages: Int
    let payload: [UInt8]

    func run(rounds: Int, into table: inout BenchTable) async throws {
        let settings = RawKafka.producerSettings.merging(RawKafka.consumerSettings) { $1 }
            .filter { $0.key != "auto.offset.reset" }
            .map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "&")
        let workload = BusWorkload(
            url: "kafka://\(self.brokers)?\(settings)", backends: [.kafka], messages: self.messages, payload: self.payload)
        var rawProduce: [Duration] = []
        var busProduce: [Duration] = []
        var rawConsume: [Duration] = []
        var busConsume: [Duration] = []
        for round in 0..<rounds {
            let topic = "bench.kafka.\(UUID().uuidString.prefix(8).lowercased())"
            try await workload.provision(destination: topic, group: "bench-bus-\(round)")
            rawProduce.append(try await onDedicatedThread("raw-kafka-producer") { [brokers, messages, payload] in
                try RawKafka.produce(brokers: brokers, topic: topic, count: messages, payload: payload)
            })
            busProduce.append(try await workload.publish(destination: topic, mode: .sendThenFlush))
            rawConsume.append(try await onDedicatedThread("raw-kafka-consumer") { [brokers, messages] in
                try RawKafka.consume(brokers: brokers, topic: topic, group: "bench-raw-\(round)", count: 2 * messages)
            })
            busConsume.append(try await workload.consume(destination: topic, group: "bench-bus-\(round)", count: 2 * self.messages))
        }
        table.add(
            backend: "kafka", workload: "produce (send + flush), acks=all, idempotent", messages: self.messages,
            raw: best(rawProduce), bus: best(busProduce))
        table.add(
            backend: "kafka", workload: "group consume (+ ack per 100 on MessageBus)", messages: 2 * self.messages,
            raw: best(rawConsume), bus: best(busConsume))
    }
}
