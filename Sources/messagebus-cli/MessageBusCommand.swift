import ArgumentParser

/// `messagebus`: the demo and a small tool to publish to and consume from any backend by URL.
@main
struct MessageBusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "messagebus",
        abstract: "Publish, consume and demo MessageBus on memory://, kafka:// and amqp:// URLs.",
        subcommands: [
            DemoCommand.self, PublishCommand.self, ConsumeCommand.self, CheckCommand.self, DeclareCommand.self,
            DeleteCommand.self, StatsCommand.self, BridgeCommand.self,
        ],
        defaultSubcommand: DemoCommand.self
    )
}
