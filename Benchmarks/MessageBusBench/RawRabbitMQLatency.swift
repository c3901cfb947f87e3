extension RawRabbitMQ {
    /// The raw rabbitmq-c latency baseline: a publisher thread with confirms sending stamped messages on the
    /// schedule (reading confirms while it waits) and a consumer thread acknowledging each message, the same work as
    /// MessageBus's `send` and for-await + `ack()`.
    static func latency(
        _ address: AMQPAddress, exchange: String, queue: String, prefetch: UInt16, schedule: LatencySchedule, size: Int,
        timeout: Duration
    ) async throws -> LatencyResult {
        try await schedule.measureOnThreads("raw-amqp") { samples in
            try RawRabbitMQ(address).consume(
                queue: queue, count: schedule.messages, prefetch: prefetch, ackEvery: 1, timeout: timeout
            ) { samples.record($0) }
        } publish: { ready in
            let publisher = try RawRabbitMQ(address)
            try publisher.selectConfirms()
            try schedule.run(ready: ready) { stamp in
                try publisher.publish(exchange: exchange, body: LatencyStamp.payload(stamp, size: size))
            } idle: { instant in
                try publisher.readConfirms(timeout: instant - .now)
            }
            while publisher.confirmed < publisher.published { try publisher.readConfirms(timeout: nil) }
        }
    }
}
