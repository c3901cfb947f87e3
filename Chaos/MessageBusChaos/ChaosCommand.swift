import ArgumentParser
import Foundation

/// `messagebus-chaos`: runs the fault scenarios against the real brokers and prints one row per scenario; exits
/// non-zero when a scenario lost a confirmed message or failed otherwise.
@main
struct ChaosCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "messagebus-chaos",
        abstract: "Faults between MessageBus and real brokers: lost confirmed messages, duplicates, recovery times.",
        subcommands: [RunChaos.self, ChildConsumer.self],
        defaultSubcommand: RunChaos.self)
}

struct RunChaos: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Runs the scenarios (the default).")

    @Flag(help: "The CI setting: shorter load phases and fewer kills (about two minutes in all).")
    var short = false

    @Option(help: "Runs only the scenarios whose name contains this text (repeatable).")
    var only: [String] = []

    @Flag(help: "Lists the scenarios and exits.")
    var list = false

    func run() async throws {
        let settings = self.short ? ChaosSettings.short : ChaosSettings.full
        let environment = try ChaosEnvironment.fromProcess()
        let scenarios = ChaosCatalog.scenarios(settings).filter { scenario in
            self.only.isEmpty || self.only.contains { scenario.name.localizedCaseInsensitiveContains($0) }
        }
        if self.list {
            scenarios.forEach { print($0.name) }
            return
        }
        print("chaos: \(scenarios.count) scenarios (\(self.short ? "short" : "full")); AMQP port \(environment.amqpPort), "
              + "Kafka \(environment.kafkaBrokers); logs in .state/chaos")
        var rows: [ChaosRow] = []
        let started = ContinuousClock.now
        for scenario in scenarios {
            let began = ContinuousClock.now
            print("chaos: \(scenario.name) ...", terminator: "")
            fflush(nil)
            let row = await scenario.run(environment)
            print(" \(row.passed ? "ok" : "FAILED") (\(ChaosTable.seconds(ContinuousClock.now - began)))")
            rows.append(row)
        }
        print("\nchaos: \(rows.count) scenarios in \(ChaosTable.seconds(ContinuousClock.now - started))\n")
        print(ChaosTable.render(rows))
        let failed = rows.filter { !$0.passed }
        guard failed.isEmpty else {
            print("chaos: FAILED: \(failed.map(\.scenario).joined(separator: "; "))")
            throw ExitCode(1)
        }
        print("chaos: every confirmed message was consumed in every scenario")
    }
}
