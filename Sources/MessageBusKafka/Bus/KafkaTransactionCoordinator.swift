import Foundation
import Logging
import MessageBus
import Synchronization

/// Runs the bus's transactions on its transactional producer, one at a time, and turns librdkafka's transactional
/// errors into the recovery each one calls for (librdkafka INTRODUCTION.md, "Transactional producer"):
///
/// - retriable (a call's own timeout passed while the coordinator still works on it): the same call is made again,
///   which resumes it (``attempts`` calls in all; a call that still fails then is treated as abortable);
/// - abortable: the transaction is aborted, its acknowledged deliveries go back to their groups, and
///   ``MessageBusError/Code/transactionAborted`` tells the caller to run it again;
/// - fatal (fenced by a newer producer with the same transactional id, or another fatal error): the producer is
///   closed and this and every later transaction fail at once with ``MessageBusError/Code/closed``. The producer
///   is not recreated: a fenced producer is a zombie, and registering its transactional id again would fence the
///   instance that replaced it.
///
/// The producer is created and initialised (`init_transactions`, which fences older producers with the same
/// transactional id) on the first transaction.
final class KafkaTransactionCoordinator: Sendable {
    private let kafka: KafkaConfiguration
    private let configuration: MessageBusConfiguration
    private let publisher: KafkaPublisher
    private let logger: Logger
    private let exclusion = AsyncExclusion()
    private let producerBox = Mutex<RDKafkaProducer?>(nil)
    /// Set once the producer is fenced or failed fatally; every later transaction throws it.
    private let fatalFailure = Mutex<MessageBusError?>(nil)
    private let transactionalID: String
    /// How many times a call librdkafka calls retriable is made in all.
    static let attempts = 3

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
    /// the acknowledged deliveries back to their groups) when it or the commit throws.
    func run<Result: Sendable>(_ body: (any MessageBusTransaction) async throws -> Result) async throws -> Result {
        try await self.exclusion.run {
            if let failure = self.fatalFailure.withLock({ $0 }) { throw failure }
            let producer = try await self.producer()
            do {
                try await self.call(producer) { try producer.beginTransaction() }
            } catch {
                throw await self.failure(of: producer, after: error)
            }
            let transaction = KafkaTransaction(producer: producer, publisher: self.publisher)
            let result: Result
            do {
                result = try await body(transaction)
                // A transaction whose task was cancelled is aborted, however its body ended.
                try Task.checkCancellation()
                let offsets = try transaction.finish()
                let timeout = self.timeoutMilliseconds
                for (consumer, partitionOffsets) in offsets {
                    try await self.call(producer) {
                        try producer.sendOffsetsToTransaction(
                            partitionOffsets, consumer: consumer, timeoutMilliseconds: timeout)
                    }
                }
            } catch {
                throw await self.abort(producer, transaction: transaction, after: error)
            }
            do {
                let timeout = self.timeoutMilliseconds
                try await self.call(producer) { try producer.commitTransaction(timeoutMilliseconds: timeout) }
            } catch let failure as RDKafkaTransactionFailure where failure.recovery == .retry {
                // Still retriable after every attempt: the commit may or may not have happened, and librdkafka
                // refuses to abort a transaction that is committing. Nothing is given back (that could duplicate
                // what was committed); the producer is replaced, which makes the coordinator finish the transaction.
                transaction.outcomeUnknown()
                _ = await self.failure(of: producer, after: failure)
                throw MessageBusError(
                    .timeout,
                    "the transaction's commit did not finish after \(Self.attempts) attempts: it may or may not have "
                        + "committed (\(failure.error.message)); its acknowledged deliveries were neither committed "
                        + "nor given back here, so they may be settled again", underlying: failure.error)
            } catch {
                throw await self.abort(producer, transaction: transaction, after: error)
            }
            transaction.committed()
            return result
        }
    }

    /// Makes a blocking transactional call on a dedicated thread, again while librdkafka calls its failure
    /// retriable (a retried call resumes the operation still running in the background).
    private func call(
        _ producer: RDKafkaProducer, _ body: @escaping @Sendable () throws -> Void
    ) async throws {
        var attempt = 1
        while true {
            do {
                // Waited for even when cancelled: the next transactional call (an abort) must not overlap it.
                return try await DedicatedThread.runToCompletion("mb-kafka-txn", body)
            } catch let failure as RDKafkaTransactionFailure where failure.recovery == .retry && attempt < Self.attempts {
                self.logger.debug("retrying a transactional call", metadata: ["error": "\(failure.error)"])
                attempt += 1
            }
        }
    }

    /// Aborts the transaction after `error` and returns what `withTransaction` throws.
    private func abort(_ producer: RDKafkaProducer, transaction: KafkaTransaction, after error: any Error) async -> any Error {
        if let fatal = producer.fatalTransactionError() {
            await transaction.aborted()
            return await self.fail(producer, fatal)
        }
        let timeout = self.timeoutMilliseconds
        do {
            try await self.call(producer) { try producer.abortTransaction(timeoutMilliseconds: timeout) }
        } catch let abortError {
            self.logger.debug("aborting the transaction failed", metadata: ["error": "\(abortError)"])
            await transaction.aborted()
            return await self.failure(of: producer, after: error)
        }
        await transaction.aborted()
        // A failed transactional call that the abort recovered from (abortable, or retriable until the attempts ran
        // out) is an aborted transaction to the caller, who can run it again; the body's own errors pass unchanged.
        guard let failure = error as? RDKafkaTransactionFailure else { return error }
        return MessageBusError(
            .transactionAborted,
            "the transaction was aborted: \(failure.error.message); its acknowledged deliveries went back to their "
                + "groups; run withTransaction again", underlying: failure.error)
    }

    /// The error to throw after a transactional call failed with `error` outside a transaction that can be aborted:
    /// the fatal error when the producer failed fatally, otherwise `error`, and the producer is dropped so that the
    /// next transaction starts on a new one (its state is unknown).
    private func failure(of producer: RDKafkaProducer, after error: any Error) async -> any Error {
        if let fatal = producer.fatalTransactionError() { return await self.fail(producer, fatal) }
        self.logger.debug("a transactional call failed; recreating the transactional producer", metadata: ["error": "\(error)"])
        self.producerBox.withLock { box in if box === producer { box = nil } }
        _ = await producer.close(timeout: .seconds(1))
        return (error as? RDKafkaTransactionFailure)?.error ?? error
    }

    /// Records the producer's fatal error, so that every later transaction fails with it at once, and closes it.
    private func fail(_ producer: RDKafkaProducer, _ fatal: (fenced: Bool, error: MessageBusError)) async -> MessageBusError {
        let reason =
            fatal.fenced
            ? "was fenced: another producer with the same transactional id took over"
            : "failed fatally"
        let error = MessageBusError(
            .closed,
            "the transactional producer '\(self.transactionalID)' \(reason) (\(fatal.error.message)); this bus can "
                + "run no more transactions: close it and open a new one", underlying: fatal.error)
        self.fatalFailure.withLock { $0 = $0 ?? error }
        self.producerBox.withLock { box in if box === producer { box = nil } }
        _ = await producer.close(timeout: .seconds(1))
        return error
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
            try await self.call(producer) { try producer.initTransactions(timeoutMilliseconds: timeout) }
        } catch {
            _ = await producer.close(timeout: .seconds(1))
            throw (error as? RDKafkaTransactionFailure)?.error ?? error
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
