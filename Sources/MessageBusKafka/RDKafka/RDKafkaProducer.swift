internal import CMessageBusRdKafka
import MessageBus
import Synchronization
import Logging
import Foundation

/// A librdkafka producer with its own poll thread, which serves delivery reports and hands them to the waiting
/// batches: no cooperative thread ever blocks in librdkafka (a `send` loop only serves, without waiting, the
/// reports that are already ready; see `serveReadyReports()`).
final class RDKafkaProducer: RDKafkaDeliveryReportHandler, @unchecked Sendable {
    /// The fire-and-forget path's first failure since the last flush, and the tasks waiting in ``flushSent()``.
    private struct SendState {
        var firstError: MessageBusError?
        var waiters = AsyncWaiters<Void>()
    }

    let client: RDKafkaClient
    private let sendState = Mutex(SendState())
    /// The records given to ``send(_:to:deadline:)`` without a delivery report yet. Atomic, not under
    /// `sendState`'s lock: every send adds to it and every delivery report takes from it, and a lock shared by the
    /// sending task and the poll thread for each record made them contend; the lock is taken only to record a
    /// failure and when the count reaches zero, to release the flushes waiting for it.
    private let outstanding = Atomic(0)
    /// Records sent since the sending side last served delivery reports (see ``serveReadyReports()``).
    private let sentSinceServing = Atomic(0)
    private let stopPolling = StopFlag()
    /// Set when the producer is released without ``close(timeout:)``: the poll thread then destroys the client
    /// itself when it stops.
    private let destroyWhenStopped = StopFlag()
    /// Whether the client still exists; produce calls check it under this lock and ``close(timeout:)`` clears it
    /// under the same lock before destroying the client, so a racing publish fails instead of touching freed memory.
    private let isAlive = Mutex(true)
    private let pollThreadExited = AsyncOneShot<Void>()
    /// How many tasks wait for delivery reports right now (a confirmed publish, a flush). While any does, the poll
    /// thread serves reports through `rd_kafka_flush`, which sends what is queued without waiting out `linger.ms`:
    /// a caller who waits has nothing more to add to the batch, so lingering would only add latency.
    private let reportWaiting: ReportWaiting

    /// What the poll thread shares with the tasks waiting for reports, without holding the producer.
    /// `@unchecked Sendable`: librdkafka's queue handles are thread-safe, and the handle is released once, after
    /// the last waiter (see ``releaseQueue()``).
    private final class ReportWaiting: @unchecked Sendable {
        let count = Atomic(0)
        /// When a sending task last served delivery reports itself, in milliseconds since ``start``.
        private let sendersServedAt = Atomic<Int64>(.min / 2)
        private let start = ContinuousClock.now
        /// For how many milliseconds after a sending task served reports the poll thread leaves them to it.
        private static let senderServingWindow: Int64 = 20
        /// librdkafka's main queue, the one `rd_kafka_poll` serves: yielding it ends the poll thread's wait at once.
        private let mainQueue: OpaquePointer?

        init(client: RDKafkaClient) {
            self.mainQueue = rd_kafka_queue_get_main(client.pointer)
        }

        /// Ends the poll thread's current `rd_kafka_poll`, so that it starts flushing.
        func interruptPoll() {
            if let mainQueue = self.mainQueue { rd_kafka_queue_yield(mainQueue) }
        }

        /// Notes that a sending task serves delivery reports now.
        func sendersServe() {
            self.sendersServedAt.store(self.elapsedMilliseconds, ordering: .relaxed)
        }

        /// Whether a sending task served delivery reports within the last ``senderServingWindow`` milliseconds:
        /// the poll thread then leaves them to it, so that each record is freed on the thread that allocated it.
        var sendersAreServing: Bool {
            self.elapsedMilliseconds - self.sendersServedAt.load(ordering: .relaxed) < Self.senderServingWindow
        }

        private var elapsedMilliseconds: Int64 {
            let elapsed = ContinuousClock.now - self.start
            return elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        }

        /// Gives the queue handle back; before the client is destroyed, which waits for every handle.
        func releaseQueue() {
            if let mainQueue = self.mainQueue { rd_kafka_queue_destroy(mainQueue) }
        }
    }
    /// The `message.max.bytes` the producer was configured with, for the error that names an oversized record.
    let messageMaxBytes: Int
    /// Whether the producer has a `transactional.id`: its records can then be dropped because their transaction
    /// failed, which is an aborted transaction to the caller, not a broker error.
    let isTransactional: Bool

    /// Creates a producer and starts its poll thread.
    init(
        properties: [(name: String, value: String)], logger: Logger, messageMaxBytes: Int,
        tokenProvider: (@Sendable () async throws -> KafkaOAuthBearerToken)? = nil
    ) throws(MessageBusError) {
        let context = RDKafkaClientContext(logger: logger, tokenProvider: tokenProvider)
        self.client = try RDKafkaClient(
            kind: .producer, properties: properties, context: context, deliveryReports: true)
        self.reportWaiting = ReportWaiting(client: self.client)
        self.messageMaxBytes = messageMaxBytes
        self.isTransactional = properties.contains { $0.name == "transactional.id" }
        context.deliveryReportHandler = self
        let client = self.client
        let stop = self.stopPolling
        let destroy = self.destroyWhenStopped
        let exited = self.pollThreadExited
        let waiting = self.reportWaiting
        DedicatedThread.start("mb-kafka-poll") {
            // rd_kafka_poll returns as soon as an event is served, so the 100 ms only bounds how late a stop is seen;
            // a task that starts waiting for reports interrupts it (see `whileWaitingForReports`) to switch to flushing.
            while !stop.isSet {
                if waiting.count.load(ordering: .relaxed) > 0, rd_kafka_outq_len(client.pointer) > 0 {
                    rd_kafka_flush(client.pointer, 100)
                } else if waiting.sendersAreServing {
                    // A send loop serves the reports itself (see `serveReadyReports()`); serving them here too
                    // would free its records on this thread, against the allocator lock of the sending thread.
                    Thread.sleep(forTimeInterval: 0.005)
                } else {
                    rd_kafka_poll(client.pointer, 100)
                }
            }
            if destroy.isSet {
                waiting.releaseQueue()
                client.destroy()
            }
            exited.fulfill(.success(()))
        }
    }

    deinit {
        // Released without close() (a bus dropped without closing it): nothing waits for a delivery report any more
        // (every publish holds the producer), so the poll thread stops and destroys the client on its own thread,
        // without a flush; this deinit, which may run on a cooperative thread, does not wait for it. After close()
        // the client is already destroyed and this changes nothing.
        self.destroyWhenStopped.set()
        self.stopPolling.set()
    }

    // MARK: Producing

    /// Produces `records` to `topic` and waits for every delivery report.
    ///
    /// - Throws: the first failure of the batch (``MessageBusError/Code/messageTooLarge``,
    ///   ``MessageBusError/Code/timeout``, ...).
    func publish(_ records: [KafkaOutgoingRecord], to topic: KafkaTopicName, deadline: ContinuousClock.Instant) async throws {
        guard !records.isEmpty else { return }
        let batch = DeliveryReportBatch(count: records.count)
        // One retain for the whole batch; whoever completes it (the last report or the producing task) releases it.
        let opaque = Unmanaged.passRetained(batch)
        var produced = 0
        var failure: MessageBusError?
        do {
            for record in records {
                try await self.produce(record, to: topic, opaque: opaque.toOpaque(), deadline: deadline)
                produced += 1
            }
        } catch let error as MessageBusError {
            failure = error
        } catch {
            // Cancelled while librdkafka's queue was full: the records produced so far are on their way.
            if batch.complete(count: 1 + records.count - produced, error: nil) { opaque.release() }
            throw error
        }
        if batch.complete(count: 1 + records.count - produced, error: failure) { opaque.release() }
        // A cancelled wait leaves the batch to its delivery reports, which complete and release it.
        try await self.whileWaitingForReports { try await batch.wait() }
    }

    /// Runs `wait` counted in ``reportWaiting``, having interrupted the poll thread's wait so it flushes.
    private func whileWaitingForReports<Result>(_ wait: () async throws -> Result) async rethrows -> Result {
        self.reportWaiting.count.add(1, ordering: .relaxed)
        defer { self.reportWaiting.count.subtract(1, ordering: .relaxed) }
        self.isAlive.withLock { alive in
            if alive { self.reportWaiting.interruptPoll() }
        }
        return try await wait()
    }

    /// Hands `records` to librdkafka without waiting for their delivery reports; ``flushSent()`` waits for them.
    func send(_ records: [KafkaOutgoingRecord], to topic: KafkaTopicName, deadline: ContinuousClock.Instant) async throws {
        // Counted up front, once per batch; records that never reach librdkafka are counted off again.
        self.outstanding.add(records.count, ordering: .relaxed)
        for (index, record) in records.enumerated() {
            do {
                try await self.produce(record, to: topic, opaque: nil, deadline: deadline)
            } catch {
                self.sendCompleted(error: nil, count: records.count - index)
                throw error
            }
        }
        self.serveReportsIfDue(sent: records.count)
    }

    /// Serves the ready delivery reports once per ``servingInterval`` records sent.
    private func serveReportsIfDue(sent: Int) {
        if self.sentSinceServing.add(sent, ordering: .relaxed).newValue >= Self.servingInterval {
            self.sentSinceServing.store(0, ordering: .relaxed)
            self.serveReadyReports()
        }
    }

    /// Hands one record to librdkafka without waiting for its delivery report: ``send(_:to:deadline:)`` without the
    /// batch, and without suspending unless librdkafka's local queue is full (it then waits up to `timeout`).
    func send(_ record: KafkaOutgoingRecord, to topic: KafkaTopicName, timeout: Duration) async throws {
        self.outstanding.add(1, ordering: .relaxed)
        do {
            let code = topic.cString.withUnsafeBufferPointer { self.produceOnce(record, to: $0.baseAddress, opaque: nil) }
            if try self.mustRetry(code, record, topic: topic) {
                try await self.produce(record, to: topic, opaque: nil, deadline: .now.advanced(by: timeout))
            }
        } catch {
            self.sendCompleted(error: nil)
            throw error
        }
        self.serveReportsIfDue(sent: 1)
    }

    /// How many records ``send(_:to:deadline:)`` hands over between two ``serveReadyReports()``.
    private static let servingInterval = 256

    /// Serves the delivery reports librdkafka has ready, without waiting, on the sending task's thread: librdkafka
    /// frees each record's memory when its report is served, and freeing it on the thread that allocated it (in
    /// `rd_kafka_produceva`) avoids the allocator's cross-thread path, which cost the poll thread about a third of
    /// the sending thread's time. The poll thread serves whatever is left.
    private func serveReadyReports() {
        self.reportWaiting.sendersServe()
        self.isAlive.withLock { alive in
            if alive { _ = rd_kafka_poll(self.client.pointer, 0) }
        }
    }

    /// Waits until every record given to ``send(_:to:deadline:)`` has its delivery report.
    ///
    /// - Throws: the first failure since the previous flush, or `CancellationError` when the task is cancelled
    ///   first (the failure is then kept for the next flush).
    func flushSent() async throws {
        try await self.whileWaitingForReports {
            try await AsyncWaiters.wait { id, continuation in
                let done: Result<Void, any Error>? = self.sendState.withLock { state in
                    // Read under the lock: a report that brings the count to zero takes the lock after storing it.
                    if self.outstanding.load(ordering: .acquiring) == 0 { return .success(()) }
                    return state.waiters.park(id, continuation)
                }
                if let done { continuation.resume(with: done) }
            } unpark: { id in
                self.sendState.withLock { $0.waiters.remove(id) }
            }
        }
        let failure = self.sendState.withLock { state in
            defer { state.firstError = nil }
            return state.firstError
        }
        if let failure { throw failure }
    }

    /// Produces one record, waiting while librdkafka's local queue is full (backpressure, not an error).
    private func produce(
        _ record: KafkaOutgoingRecord,
        to topic: KafkaTopicName,
        opaque: UnsafeMutableRawPointer?,
        deadline: ContinuousClock.Instant
    ) async throws {
        var backoff = Duration.microseconds(200)
        while true {
            let code = topic.cString.withUnsafeBufferPointer { self.produceOnce(record, to: $0.baseAddress, opaque: opaque) }
            guard try self.mustRetry(code, record, topic: topic) else { return }
            guard ContinuousClock.now < deadline else {
                throw MessageBusError(
                    .timeout, "librdkafka's local queue for '\(topic.name)' stayed full until the publish deadline")
            }
            try await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .milliseconds(20))
        }
    }

    /// What a produce call's result means: `false` when the record was taken, `true` when librdkafka's local queue
    /// is full (backpressure: try again later).
    ///
    /// - Throws: the error the result stands for otherwise.
    private func mustRetry(_ code: rd_kafka_resp_err_t, _ record: KafkaOutgoingRecord, topic: KafkaTopicName) throws -> Bool {
        switch code {
        case RD_KAFKA_RESP_ERR_NO_ERROR: return false
        case RD_KAFKA_RESP_ERR__QUEUE_FULL: return true
        case RD_KAFKA_RESP_ERR__DESTROY: throw MessageBusError(.closed, "the Kafka producer is closed; '\(topic.name)' got nothing")
        default: throw self.produceError(code, topic: topic.name, size: record.value.count + (record.key?.count ?? 0))
        }
    }

    private func produceError(_ code: rd_kafka_resp_err_t, topic: String, size: Int) -> MessageBusError {
        if self.isTransactional,
            code == RD_KAFKA_RESP_ERR__PURGE_QUEUE || code == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT
                || code == RD_KAFKA_RESP_ERR__STATE
        {
            // An abortable transaction error (a refused AddPartitionsToTxn, for example) makes librdkafka purge the
            // transaction's records and refuse new ones until the transaction is aborted.
            return MessageBusError(
                .transactionAborted,
                "a record for '\(topic)' was dropped because its transaction failed (\(RDKafkaError.text(code))); "
                    + "the transaction must be aborted and retried")
        }
        if code == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE {
            return MessageBusError(
                .messageTooLarge,
                "a record of \(size) bytes for '\(topic)' exceeds message.max.bytes (\(self.messageMaxBytes)); "
                    + "raise KafkaConfiguration.messageMaxBytes (and the broker's limit) or send smaller messages")
        }
        return RDKafkaError.error(code, "producing to '\(topic)'")
    }

    /// One `rd_kafka_produceva` call, which returns its error (never the thread-local last error).
    private func produceOnce(
        _ record: KafkaOutgoingRecord, to topicName: UnsafePointer<CChar>?, opaque: UnsafeMutableRawPointer?
    ) -> rd_kafka_resp_err_t {
        let headerCount = record.headers.count + (record.messageID == nil ? 0 : 1)
        let headers: OpaquePointer? = headerCount == 0 ? nil : rd_kafka_headers_new(headerCount)
        if let headers {
            for header in record.headers {
                header.value.withUnsafeBytes { bytes in
                    _ = rd_kafka_header_add(headers, header.name, -1, bytes.baseAddress, bytes.count)
                }
            }
            if let id = record.messageID {
                // In place or on the stack: librdkafka copies the bytes into the header.
                id.withUTF8 { bytes in
                    _ = rd_kafka_header_add(headers, WellKnownHeader.id, -1, bytes.baseAddress, bytes.count)
                }
            }
        }
        let code: rd_kafka_resp_err_t =
            record.value.withUnsafeBytes { value in
                (record.key ?? []).withUnsafeBytes { key in
                  withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 8) { buffer in
                    // At most 8 fields, on the stack: no heap allocation per record on the fast path.
                    var count = 0
                    func append(_ field: rd_kafka_vu_t) {
                        buffer[count] = field
                        count += 1
                    }
                    var field = rd_kafka_vu_t()
                    field.vtype = RD_KAFKA_VTYPE_TOPIC
                    field.u.cstr = topicName
                    append(field)
                    field = rd_kafka_vu_t()
                    field.vtype = RD_KAFKA_VTYPE_VALUE
                    field.u.mem.ptr = UnsafeMutableRawPointer(mutating: value.baseAddress)
                    field.u.mem.size = value.count
                    append(field)
                    if record.key != nil {
                        field = rd_kafka_vu_t()
                        field.vtype = RD_KAFKA_VTYPE_KEY
                        field.u.mem.ptr = UnsafeMutableRawPointer(mutating: key.baseAddress)
                        field.u.mem.size = key.count
                        append(field)
                    }
                    field = rd_kafka_vu_t()
                    field.vtype = RD_KAFKA_VTYPE_MSGFLAGS
                    field.u.i = RD_KAFKA_MSG_F_COPY  // librdkafka copies the bytes: Swift's buffers die with this call
                    append(field)
                    if let partition = record.partition {
                        field = rd_kafka_vu_t()
                        field.vtype = RD_KAFKA_VTYPE_PARTITION
                        field.u.i32 = partition
                        append(field)
                    }
                    if let timestamp = record.timestampMilliseconds {
                        field = rd_kafka_vu_t()
                        field.vtype = RD_KAFKA_VTYPE_TIMESTAMP
                        field.u.i64 = timestamp
                        append(field)
                    }
                    if let headers {
                        field = rd_kafka_vu_t()
                        field.vtype = RD_KAFKA_VTYPE_HEADERS
                        field.u.headers = headers
                        append(field)
                    }
                    field = rd_kafka_vu_t()
                    field.vtype = RD_KAFKA_VTYPE_OPAQUE
                    field.u.ptr = opaque
                    append(field)
                    let fields = UnsafePointer(buffer.baseAddress)
                    return self.isAlive.withLock { alive -> rd_kafka_resp_err_t in
                        guard alive else { return RD_KAFKA_RESP_ERR__DESTROY }
                        guard let error = rd_kafka_produceva(self.client.pointer, fields, count) else {
                            return RD_KAFKA_RESP_ERR_NO_ERROR
                        }
                        defer { rd_kafka_error_destroy(error) }
                        return rd_kafka_error_code(error)
                    }
                  }
                }
            }
        // On success librdkafka owns the headers; on failure they are still ours.
        if code != RD_KAFKA_RESP_ERR_NO_ERROR, let headers { rd_kafka_headers_destroy(headers) }
        return code
    }

    // MARK: Delivery reports (poll thread)

    func deliveryReport(_ message: UnsafePointer<rd_kafka_message_t>) {
        let code = message.pointee.err
        var error: MessageBusError?
        if code != RD_KAFKA_RESP_ERR_NO_ERROR {
            let topic = message.pointee.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "?"
            error = self.produceError(code, topic: topic, size: message.pointee.len + message.pointee.key_len)
            if code != RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, error?.code != .transactionAborted {
                error?.message = "delivery to '\(topic)' [partition \(message.pointee.partition)] failed: "
                    + RDKafkaError.text(code)
            }
        }
        guard let opaque = message.pointee._private else {
            self.sendCompleted(error: error)
            return
        }
        let batch = Unmanaged<DeliveryReportBatch>.fromOpaque(opaque)
        if batch.takeUnretainedValue().complete(count: 1, error: error) { batch.release() }
    }

    private func sendCompleted(error: MessageBusError?, count: Int = 1) {
        if let error { self.sendState.withLock { state in if state.firstError == nil { state.firstError = error } } }
        guard self.outstanding.subtract(count, ordering: .acquiringAndReleasing).newValue == 0 else { return }
        let waiters: AsyncWaiters<Void>? = self.sendState.withLock { state in
            // Sends since the count reached zero may have raised it again: their flushes wait for their reports.
            guard self.outstanding.load(ordering: .acquiring) == 0, !state.waiters.isEmpty else { return nil }
            return state.waiters.removeAll()
        }
        waiters?.resumeAll(with: .success(()))
    }

    // MARK: Closing

    /// Flushes within `timeout`, fails what is left (its waiters get an error), stops the poll thread and destroys
    /// the client; runs the blocking parts on a dedicated thread.
    ///
    /// A cancelled task cuts the flush short, as if `timeout` had passed, and still releases everything.
    ///
    /// - Returns: how many records could not be delivered in time.
    func close(timeout: Duration) async -> Int {
        let client = self.client
        // No record may enter librdkafka after the final flush: its delivery report would never come, and its
        // publisher would wait forever. Later produce calls fail with `.closed` instead.
        self.isAlive.withLock { $0 = false }
        let flushEnd = ContinuousClock.now.advanced(by: max(.zero, timeout))
        let abandon = StopFlag()
        let undelivered = await withTaskCancellationHandler {
            await DedicatedThread.run("mb-kafka-flush") { () -> Int in
                // In slices, so that a cancelled close stops waiting within one.
                while rd_kafka_outq_len(client.pointer) > 0, !abandon.isSet {
                    let left = flushEnd - .now
                    guard left > .zero else { break }
                    rd_kafka_flush(client.pointer, Int32(min(100, max(1, KafkaConfiguration.milliseconds(left)))))
                }
                let left = Int(rd_kafka_outq_len(client.pointer))
                if left > 0 {
                    // Their delivery reports (with a purge error) reach the waiting batches through the poll thread.
                    rd_kafka_purge(client.pointer, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT))
                    rd_kafka_flush(client.pointer, abandon.isSet ? 100 : 1000)
                }
                return left
            }
        } onCancel: {
            abandon.set()
        }
        self.stopPolling.set()
        // Waited for even when cancelled (the poll thread sees the stop within 100 ms): the client is destroyed
        // only once that thread is out of librdkafka.
        let exited = self.pollThreadExited
        guard (try? await Task { try await exited.value(timeout: .seconds(5)) }.value) != nil else {
            // The poll thread is still inside librdkafka: destroying the handle under it would be a use after
            // free, so the handle is left to the process rather than freed.
            client.context.logger.debug("the Kafka poll thread did not stop within 5 s; the client is not destroyed")
            return undelivered
        }
        let waiting = self.reportWaiting
        let destroy: @Sendable () -> Void = {
            waiting.releaseQueue()
            client.destroy()
        }
        if Task.isCancelled {
            // Nothing is left for librdkafka to deliver; its destroy (which can take a second while it ends its
            // broker threads) finishes on its own thread without the cancelled caller.
            DedicatedThread.perform("mb-kafka-close", destroy)
        } else {
            await DedicatedThread.run("mb-kafka-close", destroy)
        }
        return undelivered
    }
}
