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
        self.consumeTransactional(error, context)?.error
    }

    /// The failure of a transactional call for an `rd_kafka_error_t`, which it destroys, with what librdkafka says
    /// must happen next (`rd_kafka_error_is_fatal`, `_txn_requires_abort`, `_is_retriable`); `nil` for no error.
    static func consumeTransactional(_ error: OpaquePointer?, _ context: String) -> RDKafkaTransactionFailure? {
        guard let error else { return nil }
        defer { rd_kafka_error_destroy(error) }
        let code = rd_kafka_error_code(error)
        let description = String(cString: rd_kafka_error_string(error))
        var mapped = Self.error(code, context)
        mapped.message = "\(context): \(description) (\(String(cString: rd_kafka_err2name(code))))"
        // Fatal is checked first: librdkafka may flag a fatal error as requiring an abort too, and no abort helps then.
        if rd_kafka_error_is_fatal(error) != 0 {
            mapped = MessageBusError(
                .closed, "\(mapped.message); the producer is fenced or failed fatally and must be recreated")
            return RDKafkaTransactionFailure(recovery: .recreateProducer, error: mapped)
        }
        if rd_kafka_error_txn_requires_abort(error) != 0 {
            mapped = MessageBusError(
                .transactionAborted, "\(mapped.message); the transaction must be aborted and retried")
            return RDKafkaTransactionFailure(recovery: .abort, error: mapped)
        }
        if rd_kafka_error_is_retriable(error) != 0 {
            return RDKafkaTransactionFailure(recovery: .retry, error: mapped)
        }
        return RDKafkaTransactionFailure(recovery: .none, error: mapped)
    }
}

/// A failed call of librdkafka's transactional API and what librdkafka says the caller must do next
/// (INTRODUCTION.md, "Transactional producer": error handling).
struct RDKafkaTransactionFailure: Error {
    enum Recovery {
        /// Call the same function again: it resumes the operation still running in the background (typically
        /// the call's own timeout passed while the coordinator was still answering).
        case retry
        /// The transaction cannot commit: abort it; the next one can succeed.
        case abort
        /// The producer is fenced or failed fatally: no further transaction can succeed on it.
        case recreateProducer
        /// Nothing in particular (a usage error, an unknown failure).
        case none
    }

    var recovery: Recovery
    var error: MessageBusError
}
