internal import CMessageBusRdKafka
import MessageBus

/// Turns librdkafka's error codes into ``MessageBusError``s with librdkafka's explanation.
enum RDKafkaError {
    /// librdkafka's name and description of `code`, for example `Broker: Message size too large (MSG_SIZE_TOO_LARGE)`.
    static func text(_ code: rd_kafka_resp_err_t) -> String {
        "\(String(cString: rd_kafka_err2str(code))) (\(String(cString: rd_kafka_err2name(code))))"
    }

    /// The ``MessageBusError`` for `code`, with `context` saying what was attempted.
    static func error(_ code: rd_kafka_resp_err_t, _ context: String) -> MessageBusError {
        let message = "\(context): \(text(code))"
        switch code {
        case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
            return MessageBusError(.messageTooLarge, message)
        case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
            RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
            return MessageBusError(.timeout, message)
        case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
            RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
            return MessageBusError(.unknownDestination, message)
        case RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__RESOLVE,
            RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
            return MessageBusError(.connectionFailed, message)
        case RD_KAFKA_RESP_ERR__AUTHENTICATION, RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED,
            RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED,
            RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
            return MessageBusError(.authenticationFailed, message)
        case RD_KAFKA_RESP_ERR__DESTROY, RD_KAFKA_RESP_ERR__FENCED, RD_KAFKA_RESP_ERR_PRODUCER_FENCED,
            RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH:
            return MessageBusError(.closed, message)
        case RD_KAFKA_RESP_ERR__INVALID_ARG, RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
            return MessageBusError(.invalidConfiguration, message)
        default:
            return MessageBusError(.brokerError, message)
        }
    }

    /// The ``MessageBusError`` for an `rd_kafka_error_t`, which it destroys; `nil` for no error.
    static func consume(_ error: OpaquePointer?, _ context: String) -> MessageBusError? {
        guard let error else { return nil }
        defer { rd_kafka_error_destroy(error) }
        let code = rd_kafka_error_code(error)
        let description = String(cString: rd_kafka_error_string(error))
        var mapped = Self.error(code, context)
        mapped.message = "\(context): \(description) (\(String(cString: rd_kafka_err2name(code))))"
        if rd_kafka_error_txn_requires_abort(error) != 0 {
            mapped = MessageBusError(
                .transactionAborted, "\(mapped.message); the transaction must be aborted and retried")
        } else if rd_kafka_error_is_fatal(error) != 0 {
            mapped = MessageBusError(
                .closed, "\(mapped.message); the producer is fenced or failed fatally and must be recreated")
        }
        return mapped
    }
}
