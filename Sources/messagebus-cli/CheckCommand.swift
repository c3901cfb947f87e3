import ArgumentParser
import MessageBus

/// Checks that a broker answers.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Check that the broker behind a URL answers, and list the backend's capabilities.")

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let bus = try await self.connection.target.connect()
        try await bus.checkReadiness()
        print("\(bus.backend) is ready; capabilities: \(bus.capabilities)")
        try await bus.close()
    }
}
