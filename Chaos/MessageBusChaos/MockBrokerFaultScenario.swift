import Foundation
import MessageBus
import MessageBusKafka

/// Kafka broker faults through librdkafka's mock cluster (3 brokers, in process): producer and consumer connections
/// cut, the partition leader's broker unresponsive for 3 s (every answer held back), then every broker slowed to a
/// 500 ms round trip for 3 s. A real broker cannot be restarted here without losing its data (Tansu keeps everything
/// in memory), so broker faults use the mock cluster; and not its broker-down switch, because librdkafka aborts the
/// process when the downed broker's port cannot be bound again.
struct MockBrokerFaultScenario {
    var settings: ChaosSettings
    var name: String { "kafka mock cluster: connections cut, leader stalled 3 s, then 500 ms round trips" }

    func run(_ environment: ChaosEnvironment) async -> ChaosRow {
        let cluster: KafkaMockCluster
        let topic = "chaos.mock.\(UUID().uuidString.prefix(8).lowercased())"
        do {
            cluster = try KafkaMockCluster(brokers: 3, logger: ChaosEnvironment.logger("mock-cluster"))
            try await cluster.createTopic(topic, partitions: 4, replicationFactor: 3)
        } catch {
            return .failed(self.name, error)
        }
        let row: ChaosRow
        do {
            let publisher = try await environment.kafkaBus(
                bootstrap: cluster.bootstrapServers, label: "mock.publisher", mockCluster: cluster)
            let consumer = try await environment.kafkaBus(
                bootstrap: cluster.bootstrapServers, label: "mock.consumer", mockCluster: cluster)
            let run = FaultRun(scenario: self.name, warmUp: self.settings.warmUp)
            row = await run.run(publisher: publisher, consumer: consumer, destination: topic) {
                try await cluster.setLeader(of: topic, partition: 0, to: 1)
                try cluster.injectErrors(Array(repeating: .connectionClosed, count: 3), into: .produce)
                try cluster.injectErrors(Array(repeating: .connectionClosed, count: 3), into: .fetch)
                try await cluster.setRoundTripTime(of: 1, to: .seconds(3))
                try await Task.sleep(for: .seconds(3))
                try await cluster.setRoundTripTime(of: 1, to: .zero)
                for broker in Int32(1)...3 { try await cluster.setRoundTripTime(of: broker, to: .milliseconds(500)) }
                try await Task.sleep(for: .seconds(3))
                for broker in Int32(1)...3 { try await cluster.setRoundTripTime(of: broker, to: .zero) }
                return []
            }
        } catch {
            row = .failed(self.name, error)
        }
        await cluster.shutdown()
        return row
    }
}
