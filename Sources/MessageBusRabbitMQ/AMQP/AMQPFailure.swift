internal import CMessageBusRabbitMQ
import MessageBus

/// Why an AMQP call on the owner thread failed: the channel alone, or the whole connection.
enum AMQPFailure: Error, CustomStringConvertible {
    /// The broker closed one channel (`channel.close` with a reply code); the connection lives on.
    case channelClosed(channel: UInt16, code: UInt16, text: String)
    /// The connection is gone: a socket error, a missed heartbeat, a timeout or `connection.close`.
    case connectionLost(code: UInt16?, text: String)

    var description: String {
        switch self {
        case .channelClosed(let channel, let code, let text): "channel \(channel) closed by the broker: \(code) \(text)"
        case .connectionLost(let code, let text): "connection lost: \(code.map { "\($0) " } ?? "")\(text)"
        }
    }

    /// The typed error a caller sees for this failure, with `what` naming the operation.
    func messageBusError(_ what: String) -> MessageBusError {
        switch self {
        case .channelClosed(_, let code, let text):
            switch code {
            case AMQPReplyCode.notFound:
                return MessageBusError(.unknownDestination, "\(what): \(code) \(text)", underlying: self)
            case AMQPReplyCode.preconditionFailed, AMQPReplyCode.resourceLocked:
                return MessageBusError(.invalidConfiguration, "\(what): \(code) \(text)", underlying: self)
            case AMQPReplyCode.accessRefused:
                return MessageBusError(.authenticationFailed, "\(what): \(code) \(text)", underlying: self)
            default:
                return MessageBusError(.brokerError, "\(what): \(code) \(text)", underlying: self)
            }
        case .connectionLost(let code, let text):
            return MessageBusError(
                .connectionFailed, "\(what): connection lost (\(code.map { "\($0) " } ?? "")\(text))", underlying: self)
        }
    }

    /// Reads a non-normal RPC reply. Closes are acknowledged by the caller, which knows the channel.
    static func from(_ reply: amqp_rpc_reply_t, channel: UInt16) -> AMQPFailure {
        switch reply.reply_type {
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            return .connectionLost(code: nil, text: String(cString: amqp_error_string2(reply.library_error)))
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            guard let decoded = reply.reply.decoded else { return .connectionLost(code: nil, text: "server exception") }
            if reply.reply.id == AMQPMethod.channelClose {
                let close = decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
                return .channelClosed(channel: channel, code: close.reply_code, text: close.reply_text.swiftString)
            }
            if reply.reply.id == AMQPMethod.connectionClose {
                let close = decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
                return .connectionLost(code: close.reply_code, text: close.reply_text.swiftString)
            }
            return .connectionLost(code: nil, text: "unexpected method 0x\(String(reply.reply.id, radix: 16))")
        default:
            return .connectionLost(code: nil, text: "no reply from the broker")
        }
    }

    /// A failed status code of a non-RPC call (publish, ack) is always a connection failure.
    static func status(_ status: Int32, _ what: String) -> AMQPFailure {
        .connectionLost(code: nil, text: "\(what): \(String(cString: amqp_error_string2(status)))")
    }
}

extension amqp_bytes_t {
    /// The bytes as text (UTF-8, invalid sequences repaired).
    var swiftString: String {
        guard let bytes = self.bytes, self.len > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: bytes, count: self.len), as: UTF8.self)
    }

    /// The bytes as a message id: a UUID's text as its bits, so that no string is made for it.
    var messageIdentifier: MessageIdentifier {
        guard let bytes = self.bytes, self.len > 0 else { return .text("") }
        return MessageIdentifier(utf8: UnsafeBufferPointer(start: bytes.assumingMemoryBound(to: UInt8.self), count: self.len))
    }

    /// A copy of the bytes.
    var byteArray: [UInt8] {
        guard let bytes = self.bytes, self.len > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: bytes, count: self.len))
    }
}
