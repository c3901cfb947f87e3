import ArgumentParser
import MessageBus

/// Consumes and acknowledges messages, printing each.
struct ConsumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consume", abstract: "Consume messages as a member of a group, print and acknowledge them.")

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .long, help: "The destination to consume.")
    var destination: String

    @Option(name: .long, help: "The subscriber group; omit to subscribe as a broadcast listener.")
    var group: String?

    @Option(name: .long, help: "Stop after this many messages.")
    var count = 1

    @Option(name: .long, help: "Give up after this many seconds without a message.")
    var timeout = 30

    func run() async throws {
        let bus = try await self.connection.target.connect()
        let subscription = try await bus.subscribe(
            to: self.destination, group: self.group, options: SubscriptionOptions(startPosition: .earliest))
        var consumed = 0
        while consumed < self.count {
            let batch = try await subscription.receive(max: self.count - consumed, timeout: .seconds(self.timeout))
            guard !batch.isEmpty else {
                print("no message within \(self.timeout) s")
                throw ExitCode.failure
            }
            for delivery in batch {
                print("\(delivery.message.key ?? "-")\t\(delivery.message.text ?? "<\(delivery.message.payload.count) bytes>")")
            }
            try await batch.ackAll()
            consumed += batch.count
        }
        try await bus.close()
    }
}
