import CMessageBusRabbitMQ

/// A rabbitmq-c call that failed in a test helper, with the library's or the broker's explanation.
struct AMQPClientError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }

    /// Fails unless an RPC reply is normal; `what` names the call for the message.
    static func check(_ reply: amqp_rpc_reply_t, _ what: String) throws {
        guard reply.reply_type != AMQP_RESPONSE_NORMAL else { return }
        throw AMQPClientError("\(what): \(describe(reply))")
    }

    /// Explains a non-normal RPC reply: a library error, or the broker closing the channel or connection.
    static func describe(_ reply: amqp_rpc_reply_t) -> String {
        switch reply.reply_type {
        case AMQP_RESPONSE_NONE:
            return "no reply (missing RPC reply type)"
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            return String(cString: amqp_error_string2(reply.library_error))
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            guard let decoded = reply.reply.decoded else { return "server exception" }
            switch reply.reply.id {
            case AMQPMethod.connectionClose:
                let close = decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
                return "connection closed by the broker: \(close.reply_code) \(close.reply_text.text)"
            case AMQPMethod.channelClose:
                let close = decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
                return "channel closed by the broker: \(close.reply_code) \(close.reply_text.text)"
            default:
                return "server exception, method 0x\(String(reply.reply.id, radix: 16))"
            }
        default:
            return "reply type \(reply.reply_type.rawValue)"
        }
    }
}

/// AMQP 0-9-1 method ids (class << 16 | method) the helpers compare against; the C headers define them
/// as cast macros, which Swift does not import.
enum AMQPMethod {
    static let connectionClose: amqp_method_number_t = 0x000A_0032  // connection.close (10, 50)
    static let channelClose: amqp_method_number_t = 0x0014_0028  // channel.close (20, 40)
    static let basicGetOk: amqp_method_number_t = 0x003C_0047  // basic.get-ok (60, 71)
    static let basicGetEmpty: amqp_method_number_t = 0x003C_0048  // basic.get-empty (60, 72)
}

extension amqp_bytes_t {
    /// The bytes as UTF-8 text.
    var text: String {
        guard let bytes, len > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: bytes, count: len), as: UTF8.self)
    }
}
