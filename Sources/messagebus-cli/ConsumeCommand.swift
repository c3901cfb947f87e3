import ArgumentParser
import Foundation
import MessageBus
import MessageBusRabbitMQ

/// Consumes messages and prints them as text, JSON lines or raw bytes, settling each once it is printed.
struct ConsumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consume",
        abstract: "Consume messages, print them (text, JSON lines or raw bytes) and acknowledge them.",
        discussion: """
            Without --group the command is a broadcast subscriber: it sees what is published while it runs (add \
            --from-beginning to start at the oldest message the destination keeps, on Kafka). With --group it \
            shares the group's work and resumes where the group stopped. Each delivery is settled after it is \
            written: --ack ack (the default), requeue (a peek), discard, reject (dead-letter) or none.
            --format json prints one object per line with id, key, headers, contentType, correlationID, timestamp, \
            attempt, destination, group, partition and offset (Kafka), deliveryTag (RabbitMQ) and the payload \
            (UTF-8 text, or base64 with "payloadBase64": true).

            Examples:
              messagebus consume --url kafka://127.0.0.1:9092 --destination orders --group billing --count 10
              messagebus consume --url kafka://127.0.0.1:9092 --destination orders --from-beginning --format json
              messagebus consume --url amqp://guest:guest@127.0.0.1:5672/%2F --queue orders.billing --ack requeue
              messagebus consume --url kafka://127.0.0.1:9092 --destination blobs --group g --count 1 --format raw > blob.bin
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .long, help: "The destination to consume (Kafka topic, RabbitMQ exchange).")
    var destination: String?

    @Option(name: .long, help: "An existing RabbitMQ queue to consume as it is, instead of a destination.")
    var queue: String?

    @Option(name: .long, help: "The subscriber group; omit to subscribe as a broadcast listener.")
    var group: String?

    @Flag(name: .long, help: "Start a new group or broadcast subscriber at the oldest retained message.")
    var fromBeginning = false

    @Option(name: .long, help: "Stop after this many messages; consume until interrupted when omitted.")
    var count: Int?

    @Option(name: .long, help: "Stop after this many seconds without a message (a failure when --count is not reached).")
    var timeout: Double?

    @Option(name: .long, help: "The output format: text, json (JSON lines with every property) or raw (payload bytes).")
    var format: DeliveryFormat = .text

    @Option(name: .long, help: "What --format raw writes after each payload (nothing by default).")
    var delimiter = ""

    @Option(name: .long, help: "How each printed delivery is settled: ack, requeue, discard, reject or none.")
    var ack: AckPolicy = .ack

    @Option(name: .long, help: "The most unsettled deliveries held at once.")
    var prefetch = 256

    func validate() throws {
        switch (self.destination, self.queue) {
        case (nil, nil): throw ValidationError("missing --destination (or --queue for an existing RabbitMQ queue)")
        case (.some(let destination), .some(let queue)):
            throw ValidationError("give --destination '\(destination)' or --queue '\(queue)', not both")
        default: break
        }
        if self.queue != nil, let group {
            throw ValidationError("--group '\(group)' does not apply to --queue: a queue is already one group's")
        }
        if let count, count < 1 { throw ValidationError("invalid --count '\(count)': expected 1 or more") }
        if let timeout, !(timeout > 0 && timeout.isFinite) {
            throw ValidationError("invalid --timeout '\(timeout)': expected a positive number of seconds")
        }
        guard self.prefetch >= 1 else { throw ValidationError("invalid --prefetch '\(self.prefetch)': expected 1 or more") }
    }

    func run() async throws {
        let received = try await self.connection.target.withBus { bus in
            try await self.consume(try await self.subscribe(on: bus))
        }
        if let count, received < count {
            throw ConsumeShortfall(received: received, expected: count, timeout: self.timeout ?? 0)
        }
    }

    private func subscribe(on bus: any MessageBus) async throws -> Subscription {
        let prefetch = min(self.prefetch, self.count ?? self.prefetch)
        if let queue {
            guard let rabbit = bus as? RabbitMQMessageBus else {
                throw ValidationError("--queue '\(queue)' needs an amqp:// URL, not \(self.connection.target.redactedURL)")
            }
            return try await rabbit.subscribe(toQueue: queue, options: SubscriptionOptions(prefetch: prefetch))
        }
        let options = SubscriptionOptions(startPosition: self.fromBeginning ? .earliest : nil, prefetch: prefetch)
        return try await bus.subscribe(to: self.destination ?? "", group: self.group, options: options)
    }

    /// Receives, prints and settles until the count is reached or the timeout passes; returns how many it printed.
    private func consume(_ subscription: Subscription) async throws -> Int {
        let delimiter = Array(self.delimiter.utf8)
        var consumed = 0
        while self.count.map({ consumed < $0 }) ?? true {
            let wanted = min(self.prefetch, (self.count ?? Int.max) - consumed)
            let batch = try await subscription.receive(max: wanted, timeout: self.timeout.map { .seconds($0) })
            if batch.isEmpty { break }
            let output = try self.format.render(batch, delimiter: delimiter)
            try await StandardOutput.write(output)
            try await self.ack.settle(batch)
            consumed += batch.count
        }
        await subscription.cancel()
        return consumed
    }
}

/// `consume --count N` ended before N messages arrived.
struct ConsumeShortfall: Error, CustomStringConvertible {
    var received: Int
    var expected: Int
    var timeout: Double

    var description: String {
        "received \(self.received) of --count \(self.expected) messages: none arrived within --timeout "
            + "\(self.timeout) s"
    }
}

/// Writes to standard output on a thread of its own, so a slow reader never holds a cooperative thread.
enum StandardOutput {
    static func write(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        try await DedicatedThread.run("mb-cli-write") {
            try FileHandle.standardOutput.write(contentsOf: bytes)
        }
    }
}
