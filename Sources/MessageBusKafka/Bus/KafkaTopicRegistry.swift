import Foundation
import MessageBus
import Synchronization

/// Knows the partition count of every topic the bus has used, and creates missing topics on first use.
///
/// Concurrent first uses of one topic share one lookup.
final class KafkaTopicRegistry: Sendable {
    private let client: RDKafkaClient
    private let configuration: KafkaConfiguration
    /// A topic the bus has used: its name made ready for librdkafka, and its partition count.
    struct Topic: Sendable {
        let name: KafkaTopicName
        let partitions: Int
    }

    private struct State {
        /// Topics whose lookup finished: what every publish after the first reads, with one lock and one lookup.
        var resolved: [String: Topic] = [:]
        /// Lookups under way, shared by concurrent first uses.
        var lookups: [String: AsyncOneShot<Int>] = [:]
    }

    private let state = Mutex(State())
    private let mockCluster: KafkaMockCluster?
    private let lookupPatience: Duration

    /// - Parameters:
    ///   - lookupPatience: How long a lookup goes on trying while the cluster does not answer it (a broker down,
    ///     a leader moving): the time a publish may wait, so that a first publish to a topic fails for an
    ///     unreachable cluster no earlier than any other publish would. Each attempt waits at most
    ///     ``KafkaConfiguration/connectTimeout``, all of them together at most this.
    ///   - mockCluster: The mock cluster the client talks to; it creates topics through its own API
    ///     because it does not answer the Admin API's CreateTopics.
    init(
        client: RDKafkaClient, configuration: KafkaConfiguration, lookupPatience: Duration,
        mockCluster: KafkaMockCluster? = nil
    ) {
        self.client = client
        self.configuration = configuration
        self.lookupPatience = lookupPatience
        self.mockCluster = mockCluster
    }

    /// The partition count of `topic`, creating the topic first when it is missing and creation is on.
    ///
    /// - Throws: ``MessageBusError/Code/unknownDestination`` when the topic is missing and
    ///   ``KafkaConfiguration/createTopics`` is off.
    func partitionCount(of topic: String) async throws -> Int {
        try await self.topic(topic).partitions
    }

    /// The topic `name` when it was resolved before: the lookup every publish after the first makes, without
    /// suspending.
    func knownTopic(_ name: String) -> Topic? {
        self.state.withLock { $0.resolved[name] }
    }

    /// `name` ready for publishing: checked to be a portable name, looked up (and created when missing and creation
    /// is on) on first use, then read from memory.
    ///
    /// - Throws: ``MessageBus/MessageBusError/Code/invalidConfiguration`` for a name that is not portable, and the errors of
    ///   ``partitionCount(of:)``.
    func topic(_ name: String) async throws -> Topic {
        if let topic = self.knownTopic(name) { return topic }
        try DestinationName.validate(name)
        // The lookup runs in a task of its own, so that a caller who is cancelled stops waiting at once while the
        // lookup goes on for the others (and for the next use).
        let lookup = self.state.withLock { state in
            if let lookup = state.lookups[name] { return lookup }
            let lookup = AsyncOneShot<Int>()
            state.lookups[name] = lookup
            Task {
                let partitions: Result<Int, any Error>
                do { partitions = .success(try await self.lookUpOrCreate(name)) } catch { partitions = .failure(error) }
                self.state.withLock { state in
                    // A failed lookup is forgotten, so that a later call tries again.
                    state.lookups.removeValue(forKey: name)
                    if case .success(let count) = partitions {
                        state.resolved[name] = Topic(name: KafkaTopicName(name), partitions: count)
                    }
                }
                lookup.fulfill(partitions)
            }
            return lookup
        }
        return Topic(name: KafkaTopicName(name), partitions: try await lookup.value)
    }

    private func lookUpOrCreate(_ topic: String) async throws -> Int {
        let client = self.client
        let configuration = self.configuration
        let timeout = Int32(clamping: KafkaConfiguration.milliseconds(configuration.connectTimeout))
        let mockCluster = self.mockCluster
        let giveUp = ContinuousClock.now.advanced(by: self.lookupPatience)
        return try await DedicatedThread.run("mb-kafka-topic") { () throws -> Int in
            // A broker that goes down while it answers the lookup makes it time out; librdkafka sends the next
            // request to another broker once it has one, so the lookup is tried again until the publish would
            // have given up anyway.
            while true {
                let left = Int32(clamping: KafkaConfiguration.milliseconds(giveUp - .now))
                do {
                    let attemptTimeout = max(1, min(timeout, left))
                    if let count = try client.partitionCount(of: topic, timeoutMilliseconds: attemptTimeout) {
                        return count
                    }
                    break
                } catch let error as MessageBusError where error.code == .connectionFailed && .now < giveUp {
                    // A connection that drops fails the request at once; the pause keeps that from spinning.
                    Thread.sleep(forTimeInterval: 0.1)
                }
            }
            guard configuration.createTopics else {
                throw MessageBusError(
                    .unknownDestination,
                    "topic '\(topic)' does not exist and KafkaConfiguration.createTopics is off")
            }
            if let mockCluster {
                try mockCluster.createTopicBlocking(
                    topic, partitions: configuration.topicPartitions,
                    replicationFactor: max(1, configuration.topicReplicationFactor ?? 1))
            } else {
                try RDKafkaAdmin.createTopic(
                    topic, partitions: configuration.topicPartitions,
                    replicationFactor: configuration.topicReplicationFactor ?? -1, on: client,
                    timeoutMilliseconds: timeout)
            }
            // The cluster's metadata can lag behind the creation for a moment.
            for _ in 0..<100 {
                if let count = try client.partitionCount(of: topic, timeoutMilliseconds: timeout) { return count }
                Thread.sleep(forTimeInterval: 0.05)
            }
            return configuration.topicPartitions
        }
    }
}
