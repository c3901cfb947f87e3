internal import CMessageBusRabbitMQ
import Foundation
import MessageBus

/// Writes `basic.publish` frames for messages, mapping ``MessageBus/Message`` onto AMQP properties.
///
/// Owned by the connection's owner thread. It keeps one scratch buffer that grows to the largest message's
/// properties, so the fast path makes no allocation per message beyond what rabbitmq-c does itself.
final class AMQPPublisher {
    private var scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
    private var entries = UnsafeMutableBufferPointer<amqp_table_entry_t>.allocate(capacity: 16)

    deinit {
        self.scratch.deallocate()
        self.entries.deallocate()
    }

    /// Publishes message `index` of `request` to its exchange as a persistent message, with the request's
    /// mandatory flag and RabbitMQ-specific properties; returns rabbitmq-c's status.
    func publish(_ request: PublishRequest, index: Int, state: amqp_connection_state_t, channel: UInt16) -> Int32 {
        let message = request.messages[index]
        self.reserve(for: message, exchange: request.exchange, properties: request.properties)
        var cursor = 0
        let exchangeBytes = self.put(request.exchange, at: &cursor)
        let routingKey = self.put(message.key ?? "", at: &cursor)

        var properties = amqp_basic_properties_t()
        var flags = UInt32(AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_MESSAGE_ID_FLAG)
        properties.delivery_mode = 2  // persistent: survives a broker restart in a durable queue
        message.identifier.withUTF8 { properties.message_id = self.put(raw: UnsafeRawBufferPointer($0), at: &cursor) }
        if let contentType = message.contentType {
            flags |= UInt32(AMQP_BASIC_CONTENT_TYPE_FLAG)
            properties.content_type = self.put(contentType, at: &cursor)
        }
        if let correlationID = message.correlationID {
            flags |= UInt32(AMQP_BASIC_CORRELATION_ID_FLAG)
            properties.correlation_id = self.put(correlationID, at: &cursor)
        }
        var milliseconds: Int64?
        if let timestamp = message.timestamp {
            flags |= UInt32(AMQP_BASIC_TIMESTAMP_FLAG)
            properties.timestamp = UInt64(max(0, timestamp.timeIntervalSince1970))
            milliseconds = AMQPHeaderName.millisecondsBeyondSeconds(of: timestamp)
        }
        let headers = message.headers.filter {
            $0.name != AMQPHeaderName.deliveryCount && $0.name != AMQPHeaderName.streamOffset
                && $0.name != AMQPHeaderName.timestampInMilliseconds
        }
        if !headers.isEmpty || milliseconds != nil {
            flags |= UInt32(AMQP_BASIC_HEADERS_FLAG)
            for (index, header) in headers.enumerated() {
                var entry = amqp_table_entry_t()
                entry.key = self.put(header.name, at: &cursor)
                // Text stays a long string, which every client reads as text; other bytes go as a byte array so
                // that clients decoding long strings as UTF-8 never fail on them.
                let isText = String(validating: header.value, as: UTF8.self) != nil
                entry.value.kind = UInt8(isText ? AMQP_FIELD_KIND_UTF8.rawValue : AMQP_FIELD_KIND_BYTES.rawValue)
                entry.value.value.bytes = self.put(bytes: header.value, at: &cursor)
                self.entries[index] = entry
            }
            if let milliseconds {
                var entry = amqp_table_entry_t()
                entry.key = self.put(AMQPHeaderName.timestampInMilliseconds, at: &cursor)
                entry.value.kind = UInt8(AMQP_FIELD_KIND_I64.rawValue)
                entry.value.value.i64 = milliseconds
                self.entries[headers.count] = entry
            }
            let count = headers.count + (milliseconds == nil ? 0 : 1)
            properties.headers = amqp_table_t(num_entries: Int32(count), entries: self.entries.baseAddress)
        }
        if let extra = request.properties {
            self.put(extra, into: &properties, flags: &flags, at: &cursor)
        }
        properties._flags = amqp_flags_t(flags)
        return message.payload.withUnsafeBytes { body in
            amqp_basic_publish(
                state, channel, exchangeBytes, routingKey, request.mandatory ? 1 : 0, 0, &properties,
                amqp_bytes_t(len: body.count, bytes: UnsafeMutableRawPointer(mutating: body.baseAddress)))
        }
    }

    /// Sets the RabbitMQ-specific properties that are present, and their flags.
    private func put(
        _ extra: RabbitMQMessageProperties, into properties: inout amqp_basic_properties_t, flags: inout UInt32,
        at cursor: inout Int
    ) {
        if let replyTo = extra.replyTo {
            flags |= UInt32(AMQP_BASIC_REPLY_TO_FLAG)
            properties.reply_to = self.put(replyTo, at: &cursor)
        }
        if let expiration = extra.expirationMilliseconds {
            flags |= UInt32(AMQP_BASIC_EXPIRATION_FLAG)
            properties.expiration = self.put(expiration, at: &cursor)
        }
        if let priority = extra.priority {
            flags |= UInt32(AMQP_BASIC_PRIORITY_FLAG)
            properties.priority = priority
        }
        if let type = extra.type {
            flags |= UInt32(AMQP_BASIC_TYPE_FLAG)
            properties.type = self.put(type, at: &cursor)
        }
        if let appID = extra.appID {
            flags |= UInt32(AMQP_BASIC_APP_ID_FLAG)
            properties.app_id = self.put(appID, at: &cursor)
        }
        if let contentEncoding = extra.contentEncoding {
            flags |= UInt32(AMQP_BASIC_CONTENT_ENCODING_FLAG)
            properties.content_encoding = self.put(contentEncoding, at: &cursor)
        }
    }

    private func reserve(for message: Message, exchange: String, properties: RabbitMQMessageProperties?) {
        var bytes = exchange.utf8.count + (message.key?.utf8.count ?? 0) + message.identifier.utf8Count
        if let properties {
            // The expiration is at most 20 digits.
            bytes += (properties.replyTo?.utf8.count ?? 0) + (properties.type?.utf8.count ?? 0) + 20
            bytes += (properties.appID?.utf8.count ?? 0) + (properties.contentEncoding?.utf8.count ?? 0)
        }
        bytes += (message.contentType?.utf8.count ?? 0) + (message.correlationID?.utf8.count ?? 0)
        for header in message.headers { bytes += header.name.utf8.count + header.value.count }
        bytes += AMQPHeaderName.timestampInMilliseconds.utf8.count
        if bytes > self.scratch.count {
            self.scratch.deallocate()
            self.scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes, self.scratch.count * 2), alignment: 8)
        }
        // One entry more for the timestamp's milliseconds.
        if message.headers.count + 1 > self.entries.count {
            self.entries.deallocate()
            self.entries = .allocate(capacity: max(message.headers.count + 1, self.entries.count * 2))
        }
    }

    private func put(_ text: String, at cursor: inout Int) -> amqp_bytes_t {
        var text = text
        return text.withUTF8 { self.put(raw: UnsafeRawBufferPointer($0), at: &cursor) }
    }

    private func put(bytes: [UInt8], at cursor: inout Int) -> amqp_bytes_t {
        bytes.withUnsafeBytes { self.put(raw: $0, at: &cursor) }
    }

    private func put(raw: UnsafeRawBufferPointer, at cursor: inout Int) -> amqp_bytes_t {
        guard raw.count > 0, let base = self.scratch.baseAddress else { return amqp_bytes_t(len: 0, bytes: nil) }
        let start = base + cursor
        start.copyMemory(from: raw.baseAddress!, byteCount: raw.count)
        cursor += raw.count
        return amqp_bytes_t(len: raw.count, bytes: start)
    }
}

/// Header names RabbitMQ itself sets.
enum AMQPHeaderName {
    /// How many times a quorum queue has returned the message (RabbitMQ 3.10 counts from 0).
    static let deliveryCount = "x-delivery-count"
    /// A stream message's offset, which the broker adds to each delivery from a stream queue.
    static let streamOffset = "x-stream-offset"
    /// The message's time in milliseconds since 1970 (a 64-bit integer; the name RabbitMQ's message-timestamp plugin
    /// uses). AMQP's `timestamp` property has whole seconds, so the backend adds this header when the time has
    /// milliseconds and reads it back into ``MessageBus/Message/timestamp``: a message keeps the millisecond time
    /// it keeps on Kafka, through a bridge too.
    static let timestampInMilliseconds = "timestamp_in_ms"

    /// The time in whole milliseconds when it is not a whole second (the header is then needed), else `nil`.
    static func millisecondsBeyondSeconds(of timestamp: Date) -> Int64? {
        let milliseconds = Int64((timestamp.timeIntervalSince1970 * 1000).rounded(.down))
        return milliseconds > 0 && milliseconds % 1000 != 0 ? milliseconds : nil
    }
}
