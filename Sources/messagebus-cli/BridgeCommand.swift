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
            Reads DESTINATION as subscriber group GROUP on --from (or an existing RabbitMQ --queue, or Kafka --topics \
            or --pattern as GROUP) and publishes every message unchanged (payload, \
            key, headers, id, content type, correlation id, timestamp) to --to. A source message is acknowledged \
            only after the target confirmed it. With --state-file the ids copied are kept in an SQLite file, so a \
            restarted bridge does not publish them again (a killed process may publish again what it had in flight, \
            at most --max-in-flight messages, which effectively-once consumers drop by id). On a terminal a progress line is shown; otherwise every \
            second a JSON line is printed, and a JSON report at the end. SIGINT or SIGTERM stops the bridge \
            between batches and prints the report.

            On a RabbitMQ target, messages reach only queues that exist: subscribe the target's groups once before \
            bridging. The target is opened with mandatory=true (unless its URL sets mandatory), so a message that \
            reaches no queue stops the bridge with an error and stays unacknowledged at the source, instead of \
            being dropped by RabbitMQ.

            Examples:
              messagebus bridge --from kafka://127.0.0.1:9092 --to amqp://guest:guest@127.0.0.1:5672/%2F \\
                --destination orders --group migration --state-file orders-bridge.sqlite --cut-over-idle 5s
              messagebus bridge --from amqp://guest:guest@127.0.0.1:5672/%2F --to kafka://127.0.0.1:9092 \\
                --destination orders --group migration --dead-letters
              messagebus bridge --from amqp://guest:guest@127.0.0.1:5672/%2F --to kafka://127.0.0.1:9092 \\
                --queue invoices --target-destination invoices --cut-over-idle 10s
              messagebus bridge --from kafka://127.0.0.1:9092 --to amqp://guest:guest@127.0.0.1:5672/%2F \\
                --pattern '^orders\\..*' --group migration
            """)

    @Option(name: .long, help: "The source broker URL.")
    var from: String

    @Option(name: .long, help: "The target broker URL.")
    var to: String

    @Option(name: .long, help: "The destination to copy (any URL), read as --group.")
    var destination: String?

    @Option(name: .long, help: "An existing RabbitMQ queue to copy as it is, instead of a destination.")
    var queue: String?

    @Option(name: .long, help: "Kafka topics to copy, comma-separated, read as one --group; each keeps its name.")
    var topics: String?

    @Option(name: .long, help: "A regular expression (starting with ^) naming the Kafka topics to copy, as --group.")
    var pattern: String?

    @Option(name: .long, help: "The subscriber group the bridge reads the source as (it remembers the bridge's progress).")
    var group: String?

    @Option(name: .long, help: "The destination on the target (by default each message keeps its source's name).")
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
        let selection = try self.selection()
        if self.deadLetters, selection.destination == nil {
            throw ValidationError("--dead-letters copies <destination>.dlq: it needs --destination")
        }
        for (name, url) in [("--from", self.from), ("--to", self.to)] {
            do {
                _ = try MessageBusURL(url)
            } catch let error as MessageBusError {
                throw ValidationError("\(name): \(error.message)")
            }
        }
    }

    /// The source the options name.
    private func selection() throws -> BridgeSourceSelection {
        try BridgeSourceSelection(
            destination: self.destination, queue: self.queue, topics: self.topics, pattern: self.pattern,
            group: self.group)
    }

    func run() async throws {
        let output = BridgeOutput(asJSONLines: self.json || isatty(STDOUT_FILENO) == 0)
        let selection = try self.selection()
        let source = try await BusTarget(url: self.from, verbose: self.verbose).connect()
        let target = try await BusTarget(url: Self.refusingUnroutable(self.to), verbose: self.verbose).connect()
        let store = try self.stateFile.map { try SQLiteDeduplicationStore(path: $0) }
        let options = MessageBridgeOptions(
            batchSize: self.batchSize, maxInFlight: self.maxInFlight,
            deduplicationStore: store ?? InMemoryDeduplicationStore(capacity: 1_000_000),
            targetDestination: Self.targetMapping(self.targetDestination, source: selection.destination),
            cutOverIdle: self.cutOverIdle?.duration, deadLetters: self.deadLetters,
            sourceLag: selection.lagProbe(on: source))
        let bridge = MessageBridge(from: source, to: target, source: try selection.source(on: source), options: options)
        output.started(from: Self.redacted(self.from), to: Self.redacted(self.to), destination: selection.name)

        let run = Task { try await bridge.run { output.progress($0) } }
        let signals = StopSignals { run.cancel() }
        defer { signals.stop() }
        let outcome = await run.result
        try? await source.close()
        try? await target.close()
        output.report(try outcome.get())
    }

    /// Maps each source destination to its target: everything to `--target-destination` when given, except the
    /// dead letters of a destination, which go to the target's dead-letter destination; the same name otherwise.
    private static func targetMapping(_ target: String?, source: String?) -> @Sendable (String) -> String {
        guard let target else { return { $0 } }
        let deadLetters = source.map { SubscriptionOptions().deadLetterDestination(for: $0) }
        let targetDeadLetters = SubscriptionOptions().deadLetterDestination(for: target)
        return { $0 == deadLetters ? targetDeadLetters : target }
    }

    /// The URL with its password replaced, for printing.
    /// `url` with `mandatory=true` added for a RabbitMQ target that does not set it: RabbitMQ drops a message that
    /// reaches no queue, and the bridge would then acknowledge its source message: a message lost.
    static func refusingUnroutable(_ url: String) -> String {
        guard let parsed = try? MessageBusURL(url), ["amqp", "amqps"].contains(parsed.scheme),
            parsed.queryValue("mandatory") == nil
        else { return url }
        return url + (parsed.queryItems.isEmpty && !url.contains("?") ? "?" : "&") + "mandatory=true"
    }

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
