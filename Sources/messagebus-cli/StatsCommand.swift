import ArgumentParser
import Foundation
import MessageBus
import MessageBusKafka
import MessageBusRabbitMQ

/// Prints how much a destination holds and how far its groups are behind, from what the broker reports.
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show depth or lag per destination and group, consumers and rates where the broker tells.",
        discussion: """
            Kafka: per partition, the low and high watermarks and the records held; with --group, each group's \
            committed offset and lag. RabbitMQ: each group's queue (<destination>.<group>) or a --queue, with its \
            ready messages and consumers. With --interval S the command samples twice, S seconds apart, and adds \
            rates: on Kafka records in (high watermark) and committed out per second, on RabbitMQ the net change of \
            the ready messages per second (AMQP does not report publish or delivery rates).

            Examples:
              messagebus stats --url kafka://127.0.0.1:9092 --destination orders
              messagebus stats --url kafka://127.0.0.1:9092 --destination orders --group billing --interval 5
              messagebus stats --url amqp://guest:guest@127.0.0.1:5672/%2F --destination orders --group billing
              messagebus stats --url amqp://guest:guest@127.0.0.1:5672/%2F --queue orders.audit
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .long, help: "The destination (Kafka topic, RabbitMQ exchange).")
    var destination: String?

    @Option(name: .long, help: "A subscriber group of the destination; repeatable.")
    var group: [String] = []

    @Option(name: .long, help: "A RabbitMQ queue; repeatable.")
    var queue: [String] = []

    @Option(name: .long, help: "Sample twice this many seconds apart and show rates.")
    var interval: Double?

    func validate() throws {
        if self.destination == nil && self.queue.isEmpty {
            throw ValidationError("missing --destination (or --queue for RabbitMQ queues)")
        }
        if self.destination == nil, let group = self.group.first {
            throw ValidationError("--group '\(group)' needs the --destination it belongs to")
        }
        if let interval, !(interval > 0 && interval.isFinite) {
            throw ValidationError("invalid --interval '\(interval)': expected a positive number of seconds")
        }
    }

    func run() async throws {
        let target = self.connection.target
        let table = try await target.withBus { bus in
            if let kafka = bus as? KafkaMessageBus {
                guard self.queue.isEmpty else { throw target.wrongBackend("stats --queue", needs: "amqp://") }
                return try await self.sampled { try await KafkaStats(destination: self.destination ?? "", groups: self.group).sample(kafka) }
            }
            if let rabbit = bus as? RabbitMQMessageBus {
                let queues = self.queue.map { (queue: $0, group: "-") } + self.group.map {
                    (queue: RabbitMQMessageBus.groupQueueName(destination: self.destination ?? "", group: $0), group: $0)
                }
                guard !queues.isEmpty else {
                    throw ValidationError(
                        "give --group or --queue: RabbitMQ destination '\(self.destination ?? "")' is an exchange, "
                            + "which holds no messages; its groups' queues do")
                }
                return try await self.sampled { try await RabbitMQStats(queues: queues).sample(rabbit) }
            }
            throw ValidationError("'stats' needs a kafka:// or amqp:// URL, not \(target.redactedURL)")
        }
        print(table)
    }

    /// One sample as a table, or two `--interval` apart with rates.
    private func sampled(_ sample: () async throws -> StatsSample) async throws -> TextTable {
        let first = try await sample()
        guard let interval else { return first.table(rates: nil) }
        try await Task.sleep(for: .seconds(interval))
        let second = try await sample()
        return second.table(rates: (earlier: first, seconds: interval))
    }
}

/// One reading of a broker's counters: rows of cells, and per row the counters rates are computed from.
struct StatsSample {
    /// The column titles, and the titles of the rate columns.
    var headers: [String]
    var rateHeaders: [String]
    /// Each row's cells, and its counters (one per rate column).
    var rows: [(cells: [String], counters: [Int64])]

    /// The table; with an earlier sample, each row gains its counters' change per second.
    func table(rates: (earlier: StatsSample, seconds: Double)?) -> TextTable {
        guard let rates else { return TextTable(headers: self.headers, rows: self.rows.map(\.cells)) }
        var table = TextTable(headers: self.headers + self.rateHeaders)
        for (index, row) in self.rows.enumerated() {
            let before = index < rates.earlier.rows.count ? rates.earlier.rows[index].counters : row.counters
            let perSecond = zip(row.counters, before).map { String(format: "%.1f", Double($0 - $1) / rates.seconds) }
            table.rows.append(row.cells + perSecond)
        }
        return table
    }
}

/// Kafka: watermarks per partition, and per group the committed offsets and lag.
struct KafkaStats {
    var destination: String
    var groups: [String]

    func sample(_ bus: KafkaMessageBus) async throws -> StatsSample {
        let offsets = try await bus.partitionOffsets(of: self.destination)
        guard !self.groups.isEmpty else {
            var rows = offsets.map { offset in
                (cells: [self.destination, "\(offset.partition)", "\(offset.lowWatermark)", "\(offset.highWatermark)",
                    "\(offset.recordCount)"], counters: [offset.highWatermark])
            }
            rows.append((cells: [self.destination, "total", "", "", "\(offsets.map(\.recordCount).reduce(0, +))"],
                counters: [offsets.map(\.highWatermark).reduce(0, +)]))
            return StatsSample(
                headers: ["TOPIC", "PARTITION", "LOW", "HIGH", "MESSAGES"], rateHeaders: ["IN/S"], rows: rows)
        }
        var rows: [(cells: [String], counters: [Int64])] = []
        for group in self.groups {
            let lag = try await bus.consumerLag(group: group, destination: self.destination)
            for entry in lag {
                rows.append((cells: [self.destination, group, "\(entry.partition)", "\(entry.highWatermark)",
                    entry.committedOffset.map(String.init) ?? "-", "\(entry.lag)"],
                    counters: [entry.highWatermark, entry.committedOffset ?? 0]))
            }
            rows.append((cells: [self.destination, group, "total", "\(lag.map(\.highWatermark).reduce(0, +))", "",
                "\(lag.map(\.lag).reduce(0, +))"],
                counters: [lag.map(\.highWatermark).reduce(0, +), lag.map { $0.committedOffset ?? 0 }.reduce(0, +)]))
        }
        return StatsSample(
            headers: ["TOPIC", "GROUP", "PARTITION", "HIGH", "COMMITTED", "LAG"], rateHeaders: ["IN/S", "OUT/S"],
            rows: rows)
    }
}

/// RabbitMQ: ready messages and consumers per queue (a passive `queue.declare`).
struct RabbitMQStats {
    var queues: [(queue: String, group: String)]

    func sample(_ bus: RabbitMQMessageBus) async throws -> StatsSample {
        var rows: [(cells: [String], counters: [Int64])] = []
        for (queue, group) in self.queues {
            let status = try await bus.inspectQueue(queue)
            rows.append((cells: [queue, group, "\(status.messageCount)", "\(status.consumerCount)"],
                counters: [Int64(status.messageCount)]))
        }
        return StatsSample(headers: ["QUEUE", "GROUP", "MESSAGES", "CONSUMERS"], rateHeaders: ["NET/S"], rows: rows)
    }
}
