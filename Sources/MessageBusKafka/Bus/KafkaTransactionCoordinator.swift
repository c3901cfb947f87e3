import Foundation
import Logging
import MessageBus
import Synchronization

/// Runs the bus's transactions on its transactional producer, one at a time.
///
/// The producer is created and initialised (`init_transactions`, which fences older producers with the same
/// transactional id) on the first transaction. A fenced or fatally failed producer is dropped and recreated on the
/// next transaction; an abortable error aborts the transaction and throws ``MessageBusError/Code/transactionAborted``.
final class KafkaTransactionCoordinator: Sendable {
    private let kafka: KafkaConfiguration
    private let configuration: MessageBusConfiguration
    private let publisher: KafkaPublisher
    private let logger: Logger
    private let exclusion = AsyncExclusion()
    private let producerBox = Mutex<RDKafkaProducer?>(nil)
    private let transactionalID: String

    init(kafka: KafkaConfiguration, configuration: MessageBusConfiguration, publisher: KafkaPublisher, logger: Logger) {
        self.kafka = kafka
        self.configuration = configuration
        self.publisher = publisher
        self.logger = logger
        self.transactionalID = kafka.transactionalID ?? "messagebus-\(configuration.clientName)-\(UUID().uuidString.lowercased())"
    }

    private var timeoutMilliseconds: Int32 {
        Int32(clamping: KafkaConfiguration.milliseconds(self.configuration.publishTimeout))
    }

    /// Runs `body` in a transaction: commits what it published and acknowledged when it returns, aborts (and gives
    /// the acknowledged deliveries back to their groups) when it throws.
    func run<Result: Sendable>(_ body: (any MessageBusTransaction) async throws -> Result) async throws -> Result {
        try await self.exclusion.run {
            let producer = try await self.producer()
            let timeout = self.timeoutMilliseconds
            try await DedicatedThread.run("messagebus-kafka-txn") { try producer.beginTransaction() }
            let transaction = KafkaTransaction(producer: producer, publisher: self.publisher)
            let result: Result
            do {
                result = try await body(transaction)
                let offsets = transaction.finish()
                try await DedicatedThread.run("messagebus-kafka-txn") {
                    for (consumer, partitionOffsets) in offsets {
                        try producer.sendOffsetsToTransaction(
                            partitionOffsets, consumer: consumer, timeoutMilliseconds: timeout)
                    }
                    try producer.commitTransaction(timeoutMilliseconds: timeout)
                }
            } catch {
                await self.abort(producer, transaction: transaction, after: error)
                throw error
            }
            transaction.committed()
            return result
        }
    }

    private func abort(_ producer: RDKafkaProducer, transaction: KafkaTransaction, after error: any Error) async {
        let timeout = self.timeoutMilliseconds
        do {
            try await DedicatedThread.run("messagebus-kafka-txn") {
                try producer.abortTransaction(timeoutMilliseconds: timeout)
            }
        } catch {
            // A fenced or fatally failed producer cannot abort; drop it so the next transaction starts afresh.
            self.logger.debug("abort failed; recreating the transactional producer", metadata: ["error": "\(error)"])
            self.producerBox.withLock { $0 = nil }
            _ = await producer.close(timeout: .seconds(1))
        }
        await transaction.aborted()
    }

    private func producer() async throws -> RDKafkaProducer {
        if let producer = self.producerBox.withLock({ $0 }) { return producer }
        let producer = try RDKafkaProducer(
            properties: self.kafka.producerProperties(
                clientName: self.configuration.clientName, messageTimeout: self.configuration.publishTimeout,
                transactionalID: self.transactionalID),
            logger: self.logger, messageMaxBytes: self.kafka.messageMaxBytes,
            tokenProvider: self.kafka.security.sasl?.tokenProvider)
        let timeout = self.timeoutMilliseconds
        do {
            try await DedicatedThread.run("messagebus-kafka-txn") { try producer.initTransactions(timeoutMilliseconds: timeout) }
        } catch {
            _ = await producer.close(timeout: .seconds(1))
            throw error
        }
        self.producerBox.withLock { $0 = producer }
        return producer
    }

    /// Closes the transactional producer, if one was created.
    func close() async {
        let producer = self.producerBox.withLock { box in
            defer { box = nil }
            return box
        }
        if let producer { _ = await producer.close(timeout: .seconds(5)) }
    }
}
