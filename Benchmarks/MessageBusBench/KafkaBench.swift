import MessageBus
import MessageBusKafka

/// Kafka (Tansu here): MessageBus with its default settings (`kafka://host:port`, nothing tuned) against the raw
/// librdkafka loops and confluent-kafka configured as MessageBus configures librdkafka (`RawKafkaSettings`).
/// Every case gets topics of its own; every client of a consume case reads the whole topic in a group of its own.
struct KafkaBench {
    let brokers: String
    let messages: Int
    let settings: BenchSettings

    private var workload: BusWorkload {
        BusWorkload(url: "kafka://\(self.brokers)", payload: self.settings.payload, timeout: self.settings.timeout)
    }

    func run(into table: inout BenchTable) async {
        let consumeEach = "consume for-await + ack() each"
        let consumeBatches = "consume receive(max: 100) + ackAll()"
        let send = "send(fresh message) each + flush()"
        let publish = "publish(contentsOf: 1,000 fresh) repeated"
        if self.settings.includes(consumeEach) { table.add(await self.consumeCase(consumeEach, .forAwaitAckEach)) }
        if self.settings.includes(consumeBatches) { table.add(await self.consumeCase(consumeBatches, .receiveAckAll(max: 100))) }
        if self.settings.includes(send) {
            table.add(await self.publishCase(send, .sendEachThenFlush, batch: nil, target: 0.95))
        }
        if self.settings.includes(publish) { table.add(await self.publishCase(publish, .confirmedBatches(1000), batch: 1000)) }
        table.note(
            "kafka: MessageBus runs on kafka://\(self.brokers) with default settings; raw C and python use the same "
                + "librdkafka properties (acks=all, idempotent, linger.ms=5, fetch.wait.max.ms=10, offsets stored "
                + "per processed record, auto-commit every 1 s); the raw and python consumer loops are the same in "
                + "both consume cases; the 'raw C + ce_id' rows are the same raw loop reading each record's ce_id "
                + "header as well, as MessageBus does for Message.id (the targets compare with the 'raw C' rows)")
        if let schedule = self.settings.latency, self.settings.includes("latency") {
            table.add(await self.latencyCase(schedule))
        }
    }

    private func consumeCase(_ name: String, _ consumption: BusWorkload.Consumption) async -> ThroughputCase {
        var result = ThroughputCase(backend: "kafka", name: name)
        for _ in 0..<self.settings.rounds {
            let topic = BenchSettings.uniqueName("kafka")
            await result.round(clients: [.rawC, .rawCReadingID, .messageBus, .python]) {
                try await self.createTopics([topic])
                _ = try await onDedicatedThread("raw-kafka-fill") { [brokers, messages, settings] in
                    try RawKafkaProducer.produce(
                        brokers: brokers, topic: topic, count: messages, payload: settings.payload, warmUp: false)
                }
            } cleanup: {
                await self.deleteTopics([topic])
            } measure: { client in
                switch client {
                case .rawC, .rawCReadingID:
                    await CaseOutcome.inProcess {
                        try await onDedicatedThread("raw-kafka-consumer") { [brokers, messages, settings] in
                            try RawKafkaConsumer.consume(
                                brokers: brokers, topic: topic, group: "\(topic).\(client == .rawC ? "raw" : "raw-id")",
                                count: messages, timeout: settings.timeout, readsID: client == .rawCReadingID)
                        }
                    }
                case .messageBus:
                    await CaseOutcome.inProcess {
                        try await self.workload.consume(destination: topic, group: "bus", count: self.messages, as: consumption)
                    }
                case .python:
                    await self.settings.python.run("kafka_client.py", [
                        "consume", "--config", self.pythonConfig(RawKafkaSettings.consumer), "--topic", topic,
                        "--group", "\(topic).python", "--count", String(self.messages),
                        "--timeout", String(self.settings.timeout.components.seconds),
                    ])
                }
            }
        }
        return result
    }

    /// Each client produces `messages` records to a topic of its own; with `batch`, the raw and python clients
    /// flush after every batch (what `publish(contentsOf:)` waits for).
    private func publishCase(
        _ name: String, _ publication: BusWorkload.Publication, batch: Int?, target: Double = 0.9
    ) async -> ThroughputCase {
        var result = ThroughputCase(backend: "kafka", name: name, throughputTarget: target)
        for _ in 0..<self.settings.rounds {
            let topics = Dictionary(uniqueKeysWithValues: BenchClient.standard.map { ($0, BenchSettings.uniqueName("kafka")) })
            await result.round {
                try await self.createTopics(Array(topics.values))
            } cleanup: {
                await self.deleteTopics(Array(topics.values))
            } measure: { client in
                let topic = topics[client]!
                switch client {
                case .rawC:
                    return await CaseOutcome.inProcess {
                        try await onDedicatedThread("raw-kafka-producer") { [brokers, messages, settings] in
                            try RawKafkaProducer.produce(
                                brokers: brokers, topic: topic, count: messages, payload: settings.payload, batch: batch)
                        }
                    }
                case .messageBus:
                    return await CaseOutcome.inProcess {
                        try await self.workload.publish(destination: topic, count: self.messages, as: publication)
                    }
                case .python:
                    return await self.settings.python.run("kafka_client.py", [
                        "produce", "--config", self.pythonConfig(RawKafkaSettings.producer), "--topic", topic,
                        "--count", String(self.messages), "--size", String(self.settings.payload.count),
                        "--batch", String(batch ?? 0),
                    ])
                case .rawCReadingID:
                    return .notReadingIDs
                }
            }
        }
        return result
    }

    /// The raw client's librdkafka settings with the bootstrap servers, as JSON for the Python client.
    private func pythonConfig(_ settings: [String: String]) -> String {
        RawKafkaSettings.json(settings.merging(["bootstrap.servers": self.brokers]) { $1 })
    }

    /// Tansu holds a fetch for `fetch.wait.max.ms`, so both consumers set it to 10 ms: in MessageBus's URL (its
    /// default already, made explicit) and in the raw consumer's settings.
    private func latencyCase(_ schedule: LatencySchedule) async -> LatencyCase {
        var result = LatencyCase(
            backend: "kafka",
            name: "\(schedule.rate)/s for \(schedule.messages / schedule.rate) s, fetch.wait.max.ms=10 both sides")
        let raw = BenchSettings.uniqueName("kafka")
        let bus = BenchSettings.uniqueName("kafka")
        do {
            try await self.createTopics([raw, bus])
        } catch {
            for client in [BenchClient.rawC, .messageBus] { result.outcomes[client] = .failure(BenchError("setup: \(error)")) }
            return result
        }
        await result.record(.rawC) {
            try await RawKafkaLatency.run(
                brokers: self.brokers, topic: raw, schedule: schedule, size: self.settings.payload.count,
                timeout: self.settings.timeout)
        }
        let workload = BusWorkload(
            url: "kafka://\(self.brokers)?fetch.wait.max.ms=10", payload: self.settings.payload, timeout: self.settings.timeout)
        await result.record(.messageBus) {
            try await workload.latency(destination: bus, group: "bus", schedule: schedule)
        }
        await self.deleteTopics([raw, bus])
        return result
    }

    /// The slow-consumer case: a topic filled by the raw producer (not timed), consumed by MessageBus.
    func runSlowConsumer(_ bench: SlowConsumerBench) async {
        let topic = BenchSettings.uniqueName("kafka")
        do {
            try await self.createTopics([topic])
            _ = try await onDedicatedThread("raw-kafka-fill") { [brokers, settings] in
                try RawKafkaProducer.produce(
                    brokers: brokers, topic: topic, count: bench.messages, payload: settings.payload, warmUp: false)
            }
            await bench.run(backend: "kafka", workload: self.workload, destination: topic)
        } catch {
            print("slow consumer, kafka: ERROR setup: \(error)")
        }
        await self.deleteTopics([topic])
    }

    /// Creates the topics with MessageBus's own admin call (4 partitions, the backend's default), so that no
    /// client pays for a consumer-group join to provision them.
    private func createTopics(_ topics: [String]) async throws {
        try await self.workload.withBus { bus in
            guard let kafka = bus as? KafkaMessageBus else { throw BenchError("kafka:// did not open a KafkaMessageBus") }
            for topic in topics { try await kafka.createTopic(topic) }
        }
    }

    /// Deletes a case's topics: Tansu keeps every record in memory. Best effort: a leftover topic costs memory only.
    private func deleteTopics(_ topics: [String]) async {
        _ = try? await self.workload.withBus { bus in
            guard let kafka = bus as? KafkaMessageBus else { return }
            for topic in topics { try? await kafka.deleteTopic(topic) }
        }
    }
}
