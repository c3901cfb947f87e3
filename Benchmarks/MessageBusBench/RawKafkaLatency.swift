/// The raw librdkafka latency baseline: a producer thread sending stamped records on the schedule and a consumer
/// thread polling and storing offsets, the same work as MessageBus's `send` and for-await + `ack()`.
enum RawKafkaLatency {
    static func run(
        brokers: String, topic: String, schedule: LatencySchedule, size: Int, timeout: Duration
    ) async throws -> LatencyResult {
        try await schedule.measureOnThreads("raw-kafka") { samples in
            let consumer = try RawKafkaConsumer(brokers: brokers, topic: topic, group: "\(topic).raw")
            try consumer.consume(count: schedule.messages, timeout: timeout) { samples.record($0) }
        } publish: { ready in
            let producer = try RawKafkaProducer(brokers: brokers, topic: topic)
            try schedule.run(ready: ready) { stamp in
                try LatencyStamp.payload(stamp, size: size).withUnsafeBytes { try producer.produce($0) }
                producer.poll(0)
            } idle: { instant in
                producer.poll(0)
                LatencySchedule.sleep(until: instant)
            }
            try producer.flush()
        }
    }
}
