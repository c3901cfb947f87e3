internal import CMessageBusRdKafka
import Foundation
import Logging

/// Receives the delivery reports of a producer, on its poll thread.
protocol RDKafkaDeliveryReportHandler: AnyObject {
    func deliveryReport(_ message: UnsafePointer<rd_kafka_message_t>)
}

/// Receives the rebalance events of a consumer, on its consumer thread (inside `rd_kafka_consumer_poll`).
protocol RDKafkaRebalanceHandler: AnyObject {
    func rebalance(
        _ client: OpaquePointer, _ event: rd_kafka_resp_err_t,
        _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>)
}

/// What librdkafka's C callbacks reach through the client's opaque pointer: the logger and the objects that
/// handle delivery reports and rebalances.
///
/// Its fields are set before `rd_kafka_new` and the handlers are weak, so a client never keeps its owner alive.
/// `@unchecked Sendable`: the handlers are only ever called on one thread (the poll or consumer thread), and the
/// logger is a value that is never mutated after creation.
final class RDKafkaClientContext: @unchecked Sendable {
    let logger: Logger
    weak var deliveryReportHandler: (any RDKafkaDeliveryReportHandler)?
    weak var rebalanceHandler: (any RDKafkaRebalanceHandler)?
    /// The client these callbacks belong to, for work that outlives a callback (the OAUTHBEARER refresh task);
    /// weak, because the client owns the context.
    weak var owner: RDKafkaClient?
    /// The OAUTHBEARER token source, when SASL/OAUTHBEARER uses one.
    let tokenProvider: (@Sendable () async throws -> KafkaOAuthBearerToken)?

    init(logger: Logger, tokenProvider: (@Sendable () async throws -> KafkaOAuthBearerToken)? = nil) {
        self.logger = logger
        self.tokenProvider = tokenProvider
    }

    /// The context a C callback's opaque pointer refers to.
    static func from(_ opaque: UnsafeMutableRawPointer?) -> RDKafkaClientContext? {
        guard let opaque else { return nil }
        return Unmanaged<RDKafkaClientContext>.fromOpaque(opaque).takeUnretainedValue()
    }

    /// The context of a client, through `rd_kafka_opaque`.
    static func of(_ client: OpaquePointer?) -> RDKafkaClientContext? {
        guard let client else { return nil }
        return from(rd_kafka_opaque(client))
    }
}

/// librdkafka's log lines, forwarded to the client's logger: librdkafka's errors and warnings at info (a library
/// logs no higher, see swift-log's best practices), the rest at debug.
let rdKafkaLogCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void = {
    client, level, facility, text in
    guard let context = RDKafkaClientContext.of(client), let text else { return }
    let logLevel: Logger.Level = level <= 4 ? .info : .debug
    guard context.logger.logLevel <= logLevel else { return }
    context.logger.log(
        level: logLevel, "librdkafka: \(String(cString: text))",
        metadata: ["librdkafka.facility": .string(facility.map { String(cString: $0) } ?? "")])
}

/// Delivery reports, forwarded to the producer that owns the client.
let rdKafkaDeliveryReportCallback:
    @convention(c) (OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?) -> Void = {
        _, message, opaque in
        guard let message, let context = RDKafkaClientContext.from(opaque) else { return }
        context.deliveryReportHandler?.deliveryReport(message)
    }

/// Rebalance events, forwarded to the consumer that owns the client. Without a handler (never expected) the
/// assignment is applied as librdkafka proposes, so the group is not left waiting.
let rdKafkaRebalanceCallback:
    @convention(c) (
        OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?,
        UnsafeMutableRawPointer?
    ) -> Void = { client, event, partitions, opaque in
        guard let client, let partitions else { return }
        if let handler = RDKafkaClientContext.from(opaque)?.rebalanceHandler {
            handler.rebalance(client, event, partitions)
            return
        }
        let cooperative = String(cString: rd_kafka_rebalance_protocol(client)) == "COOPERATIVE"
        if event == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS {
            if cooperative { rd_kafka_error_destroy(rd_kafka_incremental_assign(client, partitions)) } else {
                rd_kafka_assign(client, partitions)
            }
        } else {
            if cooperative { rd_kafka_error_destroy(rd_kafka_incremental_unassign(client, partitions)) } else {
                rd_kafka_assign(client, nil)
            }
        }
    }

/// librdkafka asks for an OAUTHBEARER token: the provider runs in a task of its own (it may await the network),
/// and hands the token, or its failure, back with the thread-safe `rd_kafka_oauthbearer_set_token(_failure)`.
let rdKafkaTokenRefreshCallback:
    @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void = { client, _, opaque in
        guard let client, let context = RDKafkaClientContext.from(opaque), let provider = context.tokenProvider
        else { return }
        let handle = RDKafkaClientHandle(pointer: client)
        Task {
            let result: Result<KafkaOAuthBearerToken, any Error>
            do {
                result = .success(try await provider())
            } catch {
                result = .failure(error)
            }
            // The provider may take a while; the client may be closed by then. Entering it keeps it from being
            // destroyed during the call, and fails once it is gone.
            guard let owner = context.owner, (try? owner.enter("setting the OAUTHBEARER token")) != nil else { return }
            defer { owner.leave() }
            switch result {
            case .success(let token): handle.setToken(token)
            case .failure(let error): handle.setTokenFailure("the OAUTHBEARER token provider failed: \(error)")
            }
        }
    }

/// A client handle carried into the token task. `@unchecked Sendable`: the two OAUTHBEARER calls it makes are
/// documented as thread-safe, and the task makes them only while it has entered the live client.
struct RDKafkaClientHandle: @unchecked Sendable {
    let pointer: OpaquePointer

    func setToken(_ token: KafkaOAuthBearerToken) {
        var errorText = [CChar](repeating: 0, count: 512)
        let lifetime = Int64(token.expiration.timeIntervalSince1970 * 1000)
        let extensionStrings = token.extensions.sorted { $0.key < $1.key }.flatMap { [$0.key, $0.value] }
        let cStrings: [UnsafePointer<CChar>?] = extensionStrings.map { UnsafePointer(strdup($0)) }
        defer { for pointer in cStrings { free(UnsafeMutablePointer(mutating: pointer)) } }
        let error = cStrings.withUnsafeBufferPointer { extensions in
            rd_kafka_oauthbearer_set_token(
                self.pointer, token.value, lifetime, token.principal,
                UnsafeMutablePointer(mutating: extensions.baseAddress), extensions.count, &errorText, errorText.count)
        }
        if error != RD_KAFKA_RESP_ERR_NO_ERROR {
            self.setTokenFailure("librdkafka refused the OAUTHBEARER token: \(errorText.nulTerminatedString)")
        }
    }

    func setTokenFailure(_ reason: String) {
        _ = rd_kafka_oauthbearer_set_token_failure(self.pointer, reason)
    }
}
