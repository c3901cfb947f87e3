import ArgumentParser
import CMessageBusRabbitMQ
import CMessageBusRdKafka
import Foundation
import MessageBus

/// `messagebus-bench`: MessageBus against the raw C libraries and the Python clients doing the same work on the
/// same brokers, side by side in one run.
///
/// Throughput rows report the rate, CPU time and voluntary context switches per message over the measured window
/// (first message to last for consumers, first publish to last confirmation for publishers) and the peak resident
/// set of the case; latency rows report end-to-end percentiles at a fixed rate. The issue's targets are checked
/// at the end against the baselines of the same run.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "messagebus-bench",
        abstract: "Compare MessageBus with raw librdkafka / rabbitmq-c and confluent-kafka / pika, side by side.")

    @Option(help: "Which brokers to measure: kafka, rabbitmq, memory (repeatable; memory always runs last).")
    var backend: [String] = ["kafka", "rabbitmq", "memory"]

    @Option(help: "Messages per Kafka case.")
    var kafkaMessages = 200_000

    @Option(help: "Messages per RabbitMQ case.")
    var rabbitMQMessages = 50_000

    @Option(help: "Messages per in-memory case.")
    var memoryMessages = 200_000

    @Option(help: "Payload size in bytes.")
    var size = 100

    @Option(help: "Rounds per throughput case; the best round of each client is reported.")
    var rounds = 2

    @Option(help: "RabbitMQ group queue types to measure: quorum, classic (repeatable).")
    var queueType: [String] = ["quorum", "classic"]

    @Option(help: "The Python interpreter with confluent-kafka and pika (default: the bootstrap's .state/venv).")
    var python: String?

    @Flag(help: "Skip the Python rows.")
    var noPython = false

    @Option(help: "Messages pika publishes in the confirmed-publish case (one by one, so slow).")
    var pythonPublishMessages = 5_000

    @Option(help: "Messages per second in the latency cases.")
    var latencyRate = 1_000

    @Option(help: "Seconds each latency run lasts; 0 skips the latency cases.")
    var latencySeconds = 5

    @Option(help: "Seconds a consumer may wait for its messages before its row fails.")
    var timeout = 180

    @Option(name: .customLong("case"), help: "Runs only the Kafka and RabbitMQ cases whose name contains this text (repeatable).")
    var cases: [String] = []

    @Flag(help: "Also run the slow-consumer case: RSS samples while a 10x slower handler works through a backlog.")
    var slowConsumer = false

    @Option(help: "Backlog of the slow-consumer case, per broker.")
    var slowConsumerMessages = 1_000_000

    func validate() throws {
        for name in self.backend where !["memory", "kafka", "rabbitmq"].contains(name) {
            throw ValidationError("unknown backend '\(name)': expected kafka, rabbitmq or memory")
        }
        for name in self.queueType where !["quorum", "classic"].contains(name) {
            throw ValidationError("unknown queue type '\(name)': expected quorum or classic")
        }
        guard self.rounds >= 1, self.size >= 8, self.latencyRate >= 1, self.timeout >= 1 else {
            throw ValidationError("--rounds, --latency-rate and --timeout must be positive, --size at least 8")
        }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let kafkaBrokers = environment["MESSAGEBUS_KAFKA_BROKERS"] ?? "127.0.0.1:9092"
        let amqp = try AMQPAddress(url: environment["MESSAGEBUS_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672/%2F")
        let timeout = Duration.seconds(self.timeout)
        let settings = BenchSettings(
            payload: [UInt8](repeating: UInt8(ascii: "x"), count: self.size), rounds: self.rounds, timeout: timeout,
            python: PythonClient(interpreter: self.python, disabled: self.noPython, timeout: timeout + .seconds(60)),
            pythonPublishMessages: self.pythonPublishMessages,
            latency: self.latencySeconds > 0
                ? LatencySchedule(messages: self.latencyRate * self.latencySeconds, rate: self.latencyRate) : nil,
            cases: self.cases)
        print(
            "messagebus-bench: \(self.size)-byte payloads, \(self.rounds) round(s); librdkafka "
                + "\(String(cString: rd_kafka_version_str())), rabbitmq-c \(String(cString: amqp_version())), "
                + "python \(settings.python.interpreter ?? "skipped")")
        let kafka = KafkaBench(brokers: kafkaBrokers, messages: self.kafkaMessages, settings: settings)
        let rabbitMQ = RabbitMQBench(address: amqp, messages: self.rabbitMQMessages, queueTypes: self.queueType, settings: settings)
        var table = BenchTable()
        // The in-memory broker keeps every message for the life of the process, which would raise the resident
        // set (and so the peak RSS column) of every case after it: it runs last.
        for name in self.backend.filter({ $0 != "memory" }) + self.backend.filter({ $0 == "memory" }) {
            print("running \(name) cases...")
            switch name {
            case "memory": await MemoryBench(messages: self.memoryMessages, settings: settings).run(into: &table)
            case "kafka": await kafka.run(into: &table)
            default: await rabbitMQ.run(into: &table)
            }
        }
        print("\n" + table.rendered())
        print("\n" + BenchTargets.rendered(table))
        guard self.slowConsumer else { return }
        for name in self.backend where name != "memory" {
            let bench = SlowConsumerBench(messages: self.slowConsumerMessages, backend: name, table: table, timeout: timeout)
            if name == "kafka" {
                await kafka.runSlowConsumer(bench)
            } else {
                await rabbitMQ.runSlowConsumer(bench)
            }
        }
    }
}
