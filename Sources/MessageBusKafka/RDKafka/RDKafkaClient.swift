internal import CMessageBusRdKafka
import Foundation
import MessageBus
import Synchronization
import Logging

/// Owns one librdkafka client (`rd_kafka_t`) and the context its callbacks reach.
///
/// `@unchecked Sendable`: librdkafka documents its client handle as thread-safe; the one call that must not race
/// with others, `rd_kafka_destroy`, happens once, through ``destroy()``, after every thread using the handle ended.
final class RDKafkaClient: @unchecked Sendable {
    enum Kind {
        case producer
        case consumer
    }

    let pointer: OpaquePointer
    let context: RDKafkaClientContext
    /// The linked librdkafka's version is checked (and warned about) once per process, not per client.
    private static let versionChecked = Atomic(false)
    private struct Usage {
        var callsInside = 0
        var isDestroyed = false
    }

    private let usage = Mutex(Usage())

    /// Creates a client.
    ///
    /// - Parameters:
    ///   - kind: Producer or consumer.
    ///   - properties: librdkafka properties, set in order.
    ///   - context: The logger and the handlers the C callbacks reach; kept alive by the client.
    ///   - deliveryReports: Whether to install the delivery-report callback.
    ///   - rebalances: Whether to install the rebalance callback.
    /// - Throws: ``MessageBusError/Code/invalidConfiguration`` for a property librdkafka refuses, and
    ///   ``MessageBusError/Code/brokerError`` when `rd_kafka_new` fails.
    init(
        kind: Kind,
        properties: [(name: String, value: String)],
        context: RDKafkaClientContext,
        deliveryReports: Bool = false,
        rebalances: Bool = false
    ) throws(MessageBusError) {
        let config = try RDKafkaConfig(properties: properties)
        guard let configPointer = config.pointer else {
            throw MessageBusError(.brokerError, "librdkafka configuration was already used")
        }
        self.context = context
        rd_kafka_conf_set_opaque(configPointer, Unmanaged.passUnretained(context).toOpaque())
        rd_kafka_conf_set_log_cb(configPointer, rdKafkaLogCallback)
        if deliveryReports { rd_kafka_conf_set_dr_msg_cb(configPointer, rdKafkaDeliveryReportCallback) }
        if rebalances { rd_kafka_conf_set_rebalance_cb(configPointer, rdKafkaRebalanceCallback) }
        if context.tokenProvider != nil {
            rd_kafka_conf_set_oauthbearer_token_refresh_cb(configPointer, rdKafkaTokenRefreshCallback)
        }
        var errorText = [CChar](repeating: 0, count: 512)
        let type = kind == .producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER
        guard let client = rd_kafka_new(type, configPointer, &errorText, errorText.count) else {
            throw MessageBusError(
                .invalidConfiguration, "librdkafka refused to create a \(kind): \(errorText.nulTerminatedString)")
        }
        _ = config.release()  // rd_kafka_new owns the configuration now
        self.pointer = client
        context.owner = self
        if !Self.versionChecked.exchange(true, ordering: .acquiringAndReleasing) {
            RDKafkaVersion.warnIfUnsupported(logger: context.logger)
        }
    }

    deinit {
        // Normally destroyed explicitly on a dedicated thread. A client dropped without that (a constructor that
        // failed half way, say) is destroyed on a thread of its own: rd_kafka_destroy blocks until librdkafka's
        // threads end, and this deinit may run on a cooperative thread. No call can be inside: each holds the client.
        let first = self.usage.withLock { usage -> Bool in
            defer { usage.isDestroyed = true }
            return !usage.isDestroyed
        }
        guard first else { return }
        let pointer = SendablePointer(pointer: self.pointer)
        let context = self.context  // the callbacks reach it (unretained) until rd_kafka_destroy returns
        DedicatedThread.perform("mb-kafka-close") {
            rd_kafka_destroy(pointer.pointer)
            withExtendedLifetime(context) {}
        }
    }

    /// A handle that crosses to the thread that destroys it; nothing else uses it by then.
    private struct SendablePointer: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    /// Destroys the client; blocks until librdkafka's threads end. Call it on a dedicated thread.
    /// Destroys the handle; with `leavingGroup` `false`, a consumer neither commits nor leaves its group, as if its
    /// process had died (for tests of what the group does after a crash).
    func destroy(leavingGroup: Bool = true) {
        let first = self.usage.withLock { usage -> Bool in
            guard !usage.isDestroyed else { return false }
            usage.isDestroyed = true
            return true
        }
        guard first else { return }
        // Calls that entered before (a metadata lookup, an admin call, a transaction commit, each on a thread of
        // its own) finish first: destroying the handle under them would free memory they are using. Destroy runs
        // on a dedicated thread, so this wait blocks no cooperative thread.
        while self.usage.withLock({ $0.callsInside }) > 0 {
            usleep(1000)
        }
        if leavingGroup {
            rd_kafka_destroy(self.pointer)
        } else {
            rd_kafka_destroy_flags(self.pointer, Int32(RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE))
        }
    }

    /// Marks a blocking call on the handle as running, so ``destroy()`` waits for it; pair with ``leave()``.
    ///
    /// - Throws: ``MessageBusError/Code/closed`` naming `what` once the client is destroyed.
    func enter(_ what: String) throws(MessageBusError) {
        let entered = self.usage.withLock { usage -> Bool in
            guard !usage.isDestroyed else { return false }
            usage.callsInside += 1
            return true
        }
        guard entered else { throw MessageBusError(.closed, "\(what): the Kafka client is closed") }
    }

    /// Ends a call started with ``enter(_:)``.
    func leave() {
        self.usage.withLock { $0.callsInside -= 1 }
    }

    /// The client's name as librdkafka reports it (`rdkafka#producer-1`).
    var name: String { String(cString: rd_kafka_name(self.pointer)) }

    /// Asks the cluster for its metadata; blocks up to `timeoutMilliseconds`.
    ///
    /// - Throws: ``MessageBusError/Code/connectionFailed`` naming the bootstrap servers when no broker answers.
    func requireReachable(bootstrapServers: String, timeoutMilliseconds: Int32) throws(MessageBusError) {
        try self.enter("checking that \(bootstrapServers) answers")
        defer { self.leave() }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let error = rd_kafka_metadata(self.pointer, 0, nil, &metadata, timeoutMilliseconds)
        if let metadata { rd_kafka_metadata_destroy(metadata) }
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw MessageBusError(
                .connectionFailed,
                "no Kafka broker at \(bootstrapServers) answered within \(timeoutMilliseconds) ms: "
                    + RDKafkaError.text(error))
        }
    }

    /// The partition count of `topic`, or `nil` when the cluster does not know the topic. Blocks.
    func partitionCount(of topic: String, timeoutMilliseconds: Int32) throws(MessageBusError) -> Int? {
        try self.enter("looking up topic '\(topic)'")
        defer { self.leave() }
        guard let topicHandle = rd_kafka_topic_new(self.pointer, topic, nil) else {
            throw MessageBusError(.brokerError, "rd_kafka_topic_new failed for '\(topic)'")
        }
        defer { rd_kafka_topic_destroy(topicHandle) }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let error = rd_kafka_metadata(self.pointer, 0, topicHandle, &metadata, timeoutMilliseconds)
        defer { if let metadata { rd_kafka_metadata_destroy(metadata) } }
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata, metadata.pointee.topic_cnt > 0 else {
            if error == RD_KAFKA_RESP_ERR__TRANSPORT || error == RD_KAFKA_RESP_ERR__TIMED_OUT {
                throw MessageBusError(.connectionFailed, "metadata of '\(topic)': \(RDKafkaError.text(error))")
            }
            return nil
        }
        let entry = metadata.pointee.topics[0]
        guard entry.err == RD_KAFKA_RESP_ERR_NO_ERROR, entry.partition_cnt > 0 else { return nil }
        return Int(entry.partition_cnt)
    }

    /// Every topic the cluster reports, with its partition count, sorted by name. Blocks.
    func topics(timeoutMilliseconds: Int32) throws(MessageBusError) -> [(name: String, partitions: Int)] {
        try self.enter("listing topics")
        defer { self.leave() }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let error = rd_kafka_metadata(self.pointer, 1, nil, &metadata, timeoutMilliseconds)
        defer { if let metadata { rd_kafka_metadata_destroy(metadata) } }
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw RDKafkaError.error(error, "listing topics")
        }
        var topics: [(name: String, partitions: Int)] = []
        for index in 0..<Int(metadata.pointee.topic_cnt) {
            let entry = metadata.pointee.topics[index]
            guard entry.err == RD_KAFKA_RESP_ERR_NO_ERROR, let name = entry.topic else { continue }
            topics.append((String(cString: name), Int(entry.partition_cnt)))
        }
        return topics.sorted { $0.name < $1.name }
    }
}
