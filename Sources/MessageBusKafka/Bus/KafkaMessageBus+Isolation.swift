import MessageBus
import Foundation
import Logging
import Synchronization

/// What a transaction-isolation probe found on a broker.
public enum KafkaTransactionIsolation: Sendable, Hashable, CustomStringConvertible {
    /// A `read_committed` consumer did not see the record of an aborted transaction: exactly-once holds.
    case isolated
    /// A `read_committed` consumer received the record of an aborted transaction (Tansu 0.6, librdkafka's mock
    /// cluster): the broker writes no transaction markers, so exactly-once cannot hold on it.
    case notIsolated
    /// The probe could not finish; the text says why (for example the broker has no transactions at all).
    case unknown(String)

    /// A sentence about the result.
    public var description: String {
        switch self {
        case .isolated: "the broker hides aborted transactions from read_committed consumers"
        case .notIsolated:
            "the broker delivered a record of an aborted transaction to a read_committed consumer "
                + "(it does not isolate transactions: no transaction markers, no aborted-transaction list)"
        case .unknown(let reason): "transaction isolation could not be checked: \(reason)"
        }
    }
}

/// Probe results per bootstrap address, so that opening many exactly-once buses probes a cluster once.
private let isolationCache = Mutex<[String: KafkaTransactionIsolation]>([:])

extension KafkaMessageBus {
    /// Finds out whether the broker really isolates transactions: writes a record in a transaction it aborts and
    /// one in a transaction it commits to a fresh probe topic, then reads both back with `read_committed`.
    ///
    /// Run it before relying on exactly-once with a broker you have not verified; opening a bus with
    /// ``/MessageBus/DeliveryGuarantee/exactlyOnce`` runs it and refuses a broker that fails it.
    ///
    /// - Returns: what the probe found; the result is cached per bootstrap address for the process.
    public func checkTransactionIsolation() async throws -> KafkaTransactionIsolation {
        try self.publisher.ensureOpen()
        let key = self.kafkaConfiguration.bootstrapServers.joined(separator: ",")
        if let cached = isolationCache.withLock({ $0[key] }) { return cached }
        let topic = "messagebus.isolation-probe.\(UUID().uuidString.prefix(8).lowercased())"
        var probeKafka = self.kafkaConfiguration
        probeKafka.topicPartitions = 1
        let registry = KafkaTopicRegistry(
            client: self.publisher.producer.client, configuration: probeKafka,
            lookupPatience: self.configuration.publishTimeout, mockCluster: self.mockCluster)
        _ = try await registry.partitionCount(of: topic)
        let outcome = await RDKafkaIsolationProbe.run(
            producerProperties: self.kafkaConfiguration.producerProperties(
                clientName: self.configuration.clientName, messageTimeout: .seconds(15),
                transactionalID: "messagebus-probe-\(UUID().uuidString.lowercased())"),
            consumerProperties: self.kafkaConfiguration.consumerProperties(
                clientName: self.configuration.clientName, groupID: "messagebus-probe-\(UUID().uuidString)",
                start: .earliest, isolation: .readCommitted),
            topic: topic, timeoutMilliseconds: 15_000, logger: self.logger)
        let result: KafkaTransactionIsolation
        switch outcome {
        case .isolates: result = .isolated
        case .deliversAbortedRecords: result = .notIsolated
        case .inconclusive(let reason): result = .unknown(reason)
        }
        if case .unknown = result {} else { isolationCache.withLock { $0[key] = result } }
        self.logger.debug("transaction isolation probe", metadata: ["result": .string(result.description)])
        return result
    }

    /// Throws ``MessageBusError/Code/unsupported`` unless the broker isolates transactions.
    func requireTransactionIsolation() async throws {
        let isolation = try await self.checkTransactionIsolation()
        guard isolation == .isolated else {
            throw MessageBusError(
                .unsupported,
                "exactly-once needs a broker that isolates transactions, but at "
                    + "\(self.kafkaConfiguration.bootstrapServers.joined(separator: ",")) \(isolation); use a broker that "
                    + "implements transaction isolation (Apache Kafka), or .effectivelyOnce(deduplicatingWith:)")
        }
    }
}
