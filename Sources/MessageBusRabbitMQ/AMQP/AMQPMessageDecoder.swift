internal import CMessageBusRabbitMQ
import Foundation
import MessageBus

/// Reads AMQP properties into a ``MessageBus/Message``; used by the owner thread on every delivery.
enum AMQPMessageDecoder {
    /// The decoded properties of a content header, copied out of rabbitmq-c's buffers.
    struct Properties: Sendable {
        var headers = MessageHeaders()
        var id: MessageIdentifier?
        var contentType: String?
        var correlationID: String?
        var timestamp: Date?
        /// The quorum queue's `x-delivery-count`, when present.
        var deliveryCount: Int?
        /// The stream queue's `x-stream-offset`, when present.
        var streamOffset: Int64?
        /// The AMQP properties ``MessageBus/Message`` has no field for; `nil` when none is set (the common case,
        /// which then costs nothing to carry).
        var extra: RabbitMQMessageProperties?
    }

    static func properties(_ pointer: UnsafeRawPointer) -> Properties {
        let raw = pointer.assumingMemoryBound(to: amqp_basic_properties_t.self).pointee
        let flags = UInt32(raw._flags)
        var decoded = Properties()
        if flags & UInt32(AMQP_BASIC_MESSAGE_ID_FLAG) != 0 { decoded.id = raw.message_id.messageIdentifier }
        if flags & UInt32(AMQP_BASIC_CONTENT_TYPE_FLAG) != 0 { decoded.contentType = raw.content_type.swiftString }
        if flags & UInt32(AMQP_BASIC_CORRELATION_ID_FLAG) != 0 { decoded.correlationID = raw.correlation_id.swiftString }
        if flags & UInt32(AMQP_BASIC_TIMESTAMP_FLAG) != 0 {
            decoded.timestamp = Date(timeIntervalSince1970: TimeInterval(raw.timestamp))
        }
        let extraFlags = UInt32(
            AMQP_BASIC_REPLY_TO_FLAG | AMQP_BASIC_EXPIRATION_FLAG | AMQP_BASIC_PRIORITY_FLAG | AMQP_BASIC_TYPE_FLAG
                | AMQP_BASIC_APP_ID_FLAG | AMQP_BASIC_CONTENT_ENCODING_FLAG)
        if flags & extraFlags != 0 { decoded.extra = Self.extraProperties(raw, flags: flags) }
        if flags & UInt32(AMQP_BASIC_HEADERS_FLAG) != 0, let entries = raw.headers.entries {
            for index in 0..<Int(raw.headers.num_entries) {
                let entry = entries[index]
                let name = entry.key.swiftString
                if name == AMQPHeaderName.deliveryCount {
                    decoded.deliveryCount = Self.integer(entry.value)
                    continue
                }
                if name == AMQPHeaderName.streamOffset {
                    decoded.streamOffset = Self.integer(entry.value).map(Int64.init)
                    continue
                }
                if name == AMQPHeaderName.timestampInMilliseconds, let milliseconds = Self.integer(entry.value) {
                    decoded.timestamp = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
                    continue
                }
                decoded.headers.append(MessageHeader(name: name, value: Self.bytes(entry.value)))
            }
        }
        return decoded
    }

    private static func extraProperties(_ raw: amqp_basic_properties_t, flags: UInt32) -> RabbitMQMessageProperties {
        var extra = RabbitMQMessageProperties()
        if flags & UInt32(AMQP_BASIC_REPLY_TO_FLAG) != 0 { extra.replyTo = raw.reply_to.swiftString }
        if flags & UInt32(AMQP_BASIC_EXPIRATION_FLAG) != 0, let milliseconds = Int64(raw.expiration.swiftString) {
            extra.expiration = .milliseconds(milliseconds)
        }
        if flags & UInt32(AMQP_BASIC_PRIORITY_FLAG) != 0 { extra.priority = raw.priority }
        if flags & UInt32(AMQP_BASIC_TYPE_FLAG) != 0 { extra.type = raw.type.swiftString }
        if flags & UInt32(AMQP_BASIC_APP_ID_FLAG) != 0 { extra.appID = raw.app_id.swiftString }
        if flags & UInt32(AMQP_BASIC_CONTENT_ENCODING_FLAG) != 0 { extra.contentEncoding = raw.content_encoding.swiftString }
        return extra
    }

    static func message(_ properties: Properties, routingKey: String, body: [UInt8]) -> Message {
        Message(
            payload: body, key: routingKey.isEmpty ? nil : routingKey, headers: properties.headers, identifier: properties.id,
            timestamp: properties.timestamp, contentType: properties.contentType,
            correlationID: properties.correlationID)
    }

    /// A header value as bytes: strings and byte arrays as they are, anything else (numbers, booleans from other
    /// clients) as its text form.
    private static func bytes(_ value: amqp_field_value_t) -> [UInt8] {
        let kind = UInt32(value.kind)
        switch kind {
        case AMQP_FIELD_KIND_UTF8.rawValue, AMQP_FIELD_KIND_BYTES.rawValue:
            return value.value.bytes.byteArray
        case AMQP_FIELD_KIND_BOOLEAN.rawValue:
            return Array((value.value.boolean != 0 ? "true" : "false").utf8)
        case AMQP_FIELD_KIND_F32.rawValue:
            return Array(String(value.value.f32).utf8)
        case AMQP_FIELD_KIND_F64.rawValue:
            return Array(String(value.value.f64).utf8)
        default:
            if let number = Self.integer(value) { return Array(String(number).utf8) }
            return []
        }
    }

    private static func integer(_ value: amqp_field_value_t) -> Int? {
        switch UInt32(value.kind) {
        case AMQP_FIELD_KIND_I8.rawValue: Int(value.value.i8)
        case AMQP_FIELD_KIND_U8.rawValue: Int(value.value.u8)
        case AMQP_FIELD_KIND_I16.rawValue: Int(value.value.i16)
        case AMQP_FIELD_KIND_U16.rawValue: Int(value.value.u16)
        case AMQP_FIELD_KIND_I32.rawValue: Int(value.value.i32)
        case AMQP_FIELD_KIND_U32.rawValue: Int(value.value.u32)
        case AMQP_FIELD_KIND_I64.rawValue: Int(value.value.i64)
        case AMQP_FIELD_KIND_U64.rawValue: Int(truncatingIfNeeded: value.value.u64)
        case AMQP_FIELD_KIND_TIMESTAMP.rawValue: Int(truncatingIfNeeded: value.value.u64)
        default: nil
        }
    }
}
