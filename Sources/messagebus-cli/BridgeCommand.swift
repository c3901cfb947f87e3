import ArgumentParser
import Dispatch
import Foundation
import MessageBridge
import MessageBus
import MessageBusKafka
import MessageBusRabbitMQ

/// `messagebus bridge`: copies a destination's messages from one broker to another, for migrations.
struct BridgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bridge",
        abstract: "Copy a destination's messages (backlog and new ones) from one broker to another.",
        discussion: """
            Reads DESTINATION as subscriber group GROUP on --from and publishes every message unchanged (payload, \
            key, headers, id, content type, correlation id, timestamp) to --to. A source message is acknowledged \
            only after the target confirmed it. With --state-file the ids copied are kept in an SQLite file, so a \
            restarted bridge does not publish them again (a killed process may publish again what it had in flight, \
            at most --max-in-flight messages, which effectively-once consumers drop by id). On a terminal a progress line is shown; otherwise every \
            second a JSON line is printed, and a JSON report at the end. SIGINT or SIGTERM stops the bridge \
            between batches and prints the report.

            On a RabbitMQ target, messages reach only queues that exist: subscribe the target's groups once before \
            bridging.

            Examples:
              messagebus bridge --from kafka://127.0.0.1:9092 --to amqp://guest:guest@127.0.0.1:5672/%2F \\
                --destination orders --group migration --state-file orders-bridge.sqlite --cut-over-idle 5s
              messagebus bridge --from amqp://guest:guest@127.0.0.1:5672/%2F --to kafka://127.0.0.1:9092 \\
                --destination orders --group migration --dead-letters
            """)

    @Option(name: .long, help: "The source broker URL.")
    var from: String

    @Option(name: .long, help: "The target broker URL.")
    var to: String

    @Option(name: .long, help: "The destination to copy.")
    var destination: String

    @Option(name: .long, help: "The subscriber group the bridge reads the source as (it remembers the bridge's progress).")
    var group: String

    @Option(name: .long, help: "The destination on the target (the same name by default).")
    var targetDestination: String?

    @Option(name: .long, help: "An SQLite file remembering the ids copied, so a restart does not publish them again.")
    var stateFile: String?

    @Option(name: .long, help: "Stop once the source has been idle (and its lag zero) this long: 500ms, 5s, 2m.")
    var cutOverIdle: DurationArgument?

    @Flag(name: .long, help: "Copy the dead letters too (<destination>.dlq, read as the same group).")
    var deadLetters = false

    @Option(name: .long, help: "The most messages per confirmed batch.")
    var batchSize = 500

    @Option(name: .long, help: "The most unacknowledged source messages at once (bounds memory).")
    var maxInFlight = 2_000

    @Flag(name: .long, help: "Print JSON lines even on a terminal.")
    var json = false

    @Flag(name: .long, help: "Log at debug level to standard error.")
    var verbose = false

    func validate() throws {
        for (name, url) in [("--from", self.from), ("--to", self.to)] {
            do {
                _ = try MessageBusURL(url)
            } catch let error as MessageBusError {
                throw ValidationError("\(name): \(error.message)")
            }
        }
    }

    func run() async throws {
        let output = BridgeOutput(asJSONLines: self.json || isatty(STDOUT_FILENO) == 0)
        let source = try await BusTarget(url: self.from, verbose: self.verbose).connect()
        let target = try await BusTarget(url: self.to, verbose: self.verbose).connect()
        let store = try self.stateFile.map { try SQLiteDeduplicationStore(path: $0) }
        let targetDestination = self.targetDestination
        let deadLetterDestination = SubscriptionOptions().deadLetterDestination(for: self.destination)
        let options = MessageBridgeOptions(
            batchSize: self.batchSize, maxInFlight: self.maxInFlight,
            deduplicationStore: store ?? InMemoryDeduplicationStore(capacity: 1_000_000),
            targetDestination: { sourceDestination in
                // The dead letters go to the dead-letter destination of the target destination.
                guard let targetDestination else { return sourceDestination }
                return sourceDestination == deadLetterDestination
                    ? SubscriptionOptions().deadLetterDestination(for: targetDestination) : targetDestination
            },
            cutOverIdle: self.cutOverIdle?.duration, deadLetters: self.deadLetters,
            sourceLag: Self.lagProbe(of: source, destination: self.destination, group: self.group))
        let bridge = MessageBridge(
            from: source, to: target, source: .destination(self.destination, group: self.group), options: options)
        output.started(from: Self.redacted(self.from), to: Self.redacted(self.to), destination: self.destination)

        let run = Task { try await bridge.run { output.progress($0) } }
        let signals = StopSignals { run.cancel() }
        defer { signals.stop() }
        let outcome = await run.result
        try? await source.close()
        try? await target.close()
        output.report(try outcome.get())
    }

    /// How far the bridge's group is behind on the source, where the backend can tell.
    private static func lagProbe(
        of bus: any MessageBus, destination: String, group: String
    ) -> (@Sendable () async throws -> Int64)? {
        if let kafka = bus as? KafkaMessageBus {
            return { try await kafka.consumerLag(group: group, destination: destination).reduce(0) { $0 + $1.lag } }
        }
        if let rabbit = bus as? RabbitMQMessageBus {
            // The group's queue (`<destination>.<group>`): what it holds ready is what the bridge has yet to read.
            return { Int64(try await rabbit.inspectQueue("\(destination).\(group)").messageCount) }
        }
        return nil
    }

    /// The URL with its password replaced, for printing.
    private static func redacted(_ url: String) -> String {
        (try? MessageBusURL(url))?.description ?? "(invalid URL)"
    }
}

/// A duration argument: a number with a unit, `ms`, `s`, `m` or `h` (`500ms`, `5s`, `1.5m`).
struct DurationArgument: ExpressibleByArgument, Sendable {
    let duration: Duration

    init?(argument: String) {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        guard let (suffix, scale) = units.first(where: { argument.hasSuffix($0.0) }),
            let value = Double(argument.dropLast(suffix.count)), value > 0, value.isFinite
        else { return nil }
        self.duration = .milliseconds(Int64((value * scale * 1000).rounded()))
    }

    static var defaultCompletionKind: CompletionKind { .default }
}
