import ArgumentParser
import Foundation
import MessageBus
import MessageBusRabbitMQ

/// Publishes messages (text, a file or standard input, byte for byte) with their properties, once or as a load.
struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish messages to a destination and wait for the broker's confirmation.",
        discussion: """
            The payload is each text argument (one message each), the bytes of --file PATH, or the bytes of standard \
            input (byte for byte; --lines makes one message per line). With --count N, N messages are published in \
            all, cycling through the payloads, at --rate messages a second if given; a summary line (sent, confirmed, elapsed, rate) \
            ends every run, and a progress bar is drawn on a terminal.

            Examples:
              messagebus publish --url kafka://127.0.0.1:9092 --destination orders --key customer-7 'hello'
              messagebus publish --url amqp://guest:guest@127.0.0.1:5672/%2F --destination orders --file order.bin \\
                  --content-type application/octet-stream --header tenant=acme --id order-1
              head -c 1024 /dev/urandom | messagebus publish --url kafka://127.0.0.1:9092 --destination blobs
              messagebus publish --url kafka://127.0.0.1:9092 --destination load --count 100000 --rate 5000 'x'
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .long, help: "The destination (Kafka topic, RabbitMQ exchange).")
    var destination: String

    @Option(name: .long, help: "The message key (Kafka record key, RabbitMQ routing key).")
    var key: String?

    @Option(name: .long, help: "The message id; with several messages, the prefix of '<id>-<n>' (n from 1).")
    var id: String?

    @Option(name: .long, help: "The payload's media type, for example application/json.")
    var contentType: String?

    @Option(name: .long, help: "The correlation id.")
    var correlationID: String?

    @Option(name: .customLong("header"), help: "An application header; repeat for several.")
    var headers: [KeyValue] = []

    @Option(name: .long, help: "Read the payload from this file ('-' for standard input), byte for byte.")
    var file: String?

    @Flag(name: .long, help: "Make one message of each line of the file or standard input.")
    var lines = false

    @Option(name: .long, help: "How many messages to publish in all, cycling through the payloads (default: one each).")
    var count: Int?

    @Option(name: .long, help: "The most messages a second (load generation); unlimited by default.")
    var rate: Double?

    @Option(name: .long, help: "When to draw the progress bar on standard error: auto (a terminal), always, never.")
    var progress: ProgressMode = .auto

    @Argument(help: "The messages' text, one message each; omit to read --file or standard input.")
    var texts: [String] = []

    func validate() throws {
        if let count, count < 1 { throw ValidationError("invalid --count '\(count)': expected 1 or more") }
        if let rate, !(rate > 0 && rate.isFinite) {
            throw ValidationError("invalid --rate '\(rate)': expected a positive number of messages a second")
        }
        if self.file != nil && !self.texts.isEmpty {
            throw ValidationError("give either text arguments or --file '\(self.file ?? "")', not both")
        }
    }

    func run() async throws {
        let source: PayloadSource = self.file.map(PayloadSource.file) ?? (self.texts.isEmpty ? .standardInput : .texts(self.texts))
        let payloads = try await source.read(splitLines: self.lines)
        guard !payloads.isEmpty else { throw ValidationError("no payload: the input has no lines") }
        let total = self.count ?? payloads.count
        let run = PublishRun(
            total: total, rate: self.rate, destination: self.destination,
            makeMessage: self.messageMaker(payloads: payloads, total: total, isText: source.isText))
        let progress = total > 1 && self.progress.isEnabled ? ProgressBar(total: total, label: "msg/s") : nil
        do {
            let summary = try await self.connection.target.withBus { bus in
                if let rabbit = bus as? RabbitMQMessageBus {
                    // An exchange that exists (declared with `declare exchange`, say) is then used as it is, whatever
                    // its type, rather than declared as a topic exchange.
                    _ = try await rabbit.exchangeExists(self.destination)
                }
                return try await run.run(on: bus, progress: progress)
            }
            print(summary)
        } catch let failure as PublishFailure {
            print(failure.summary)
            throw failure.underlying
        }
    }

    /// Builds message `index` of `total`: the payloads in turn, with this command's properties.
    private func messageMaker(payloads: [[UInt8]], total: Int, isText: Bool) -> @Sendable (Int) -> Message {
        let headers = MessageHeaders(self.headers.map { MessageHeader(name: $0.key, value: $0.value) })
        let (key, id, correlationID) = (self.key, self.id, self.correlationID)
        let contentType = self.contentType ?? (isText ? "text/plain; charset=utf-8" : nil)
        return { index in
            Message(
                payload: payloads[index % payloads.count], key: key, headers: headers,
                id: id.map { total == 1 ? $0 : "\($0)-\(index + 1)" }, contentType: contentType,
                correlationID: correlationID)
        }
    }
}

extension PayloadSource {
    /// Whether the payloads are text arguments (published as `text/plain` unless a content type is given).
    var isText: Bool {
        if case .texts = self { return true }
        return false
    }
}
