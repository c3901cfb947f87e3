#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Foundation
import MessageBus

/// `messagebus-chaos child-consume`: the consumer process the kill scenario SIGKILLs and restarts. It appends the
/// id of every delivery to a record file (one `write(2)` per batch, which survives the kill: it is in the kernel
/// once written) and only then acknowledges the batch, so a kill between the two shows up as a duplicate and
/// never as a loss.
struct ChildConsumer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "child-consume", abstract: "A consumer process for the kill scenario (internal).",
        shouldDisplay: false)

    @Option var backend: String
    @Option var destination: String
    @Option var group: String
    @Option var record: String
    @Option(help: "Time spent on each delivery before the batch is acknowledged.")
    var processingMilliseconds = 2

    func run() async throws {
        let environment = try ChaosEnvironment.fromProcess()
        let bus: any MessageBus
        switch ChaosBackend(rawValue: self.backend) {
        case .rabbitMQ: bus = try await environment.rabbitMQBus(port: environment.amqpPort, label: "child")
        case .kafka: bus = try await environment.kafkaBus(bootstrap: environment.kafkaBrokers, label: "child")
        case nil: throw ValidationError("unknown backend '\(self.backend)': expected rabbitmq or kafka")
        }
        let descriptor = open(self.record, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw ValidationError("cannot open \(self.record): errno \(errno)") }
        let subscription = try await bus.subscribe(
            to: self.destination, group: self.group, options: SubscriptionOptions(startPosition: .earliest, prefetch: 50))
        print("subscribed")
        fflush(nil)
        while true {
            let batch = try await subscription.receive(max: 50, timeout: .milliseconds(500))
            guard !batch.isEmpty else { continue }
            for _ in batch { try await Task.sleep(for: .milliseconds(self.processingMilliseconds)) }
            let lines = Array(batch.map { $0.message.id + "\n" }.joined().utf8)
            let written = lines.withUnsafeBytes { write(descriptor, $0.baseAddress!, $0.count) }
            guard written == lines.count else { throw ValidationError("write to \(self.record) failed: errno \(errno)") }
            try await batch.ackAll()
        }
    }
}
