import MessageBusIntegrationSupport
import Foundation
import MessageBus

/// A RabbitMQ node stopped and started again under load: a node of the harness's own, run by the test script
/// `rabbitmq-test-node.sh` (its own name, ports and data), never the shared broker. Durable queues survive the
/// restart; the clients recover by themselves.
struct NodeRestartScenario {
    static let nodeName = "messagebus-chaos"
    static let amqpPort = 5692
    static let distributionPort = 25692

    var settings: ChaosSettings
    var name: String { "rabbitmq node restart (own node)" }

    func run(_ environment: ChaosEnvironment) async -> ChaosRow {
        let script = environment.root.appendingPathComponent("Tests/MessageBusRabbitMQTests/Support/rabbitmq-test-node.sh").path
        let start = ["start", Self.nodeName, "\(Self.amqpPort)", "\(Self.distributionPort)"]
        let row: ChaosRow
        do {
            _ = try await ChaosRun.run(script, start, limit: .seconds(90))
            let publisher = try await environment.rabbitMQBus(port: Self.amqpPort, label: "restart.publisher")
            let consumer = try await environment.rabbitMQBus(port: Self.amqpPort, label: "restart.consumer")
            let run = FaultRun(scenario: self.name, warmUp: self.settings.warmUp)
            row = await run.run(publisher: publisher, consumer: consumer, destination: "chaos.restart") {
                let stopped = ContinuousClock.now
                _ = try await ChaosRun.run(script, ["stop", Self.nodeName], limit: .seconds(60))
                let down = ContinuousClock.now
                _ = try await ChaosRun.run(script, start, limit: .seconds(90))
                return [
                    "node stop took \(ChaosTable.seconds(down - stopped)), start \(ChaosTable.seconds(.now - down)); "
                        + "recovery counts from the node's AMQP port answering again"
                ]
            }
        } catch {
            row = .failed(self.name, error)
        }
        _ = try? await ChaosRun.run(script, ["wipe", Self.nodeName], limit: .seconds(60))
        return row
    }
}
