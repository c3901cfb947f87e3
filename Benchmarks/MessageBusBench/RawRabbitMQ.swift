import CMessageBusRabbitMQ
import Foundation

/// The raw rabbitmq-c baseline: one connection with channel 1 open, and the publisher and consumer loops an
/// application writes against the C API. Messages are persistent and carry a message id and a timestamp, the
/// properties MessageBus sets on every publish, with an empty routing key as MessageBus uses for keyless messages.
final class RawRabbitMQ {
    private static let channel: amqp_channel_t = 1
    private static let basicAck: amqp_method_number_t = 0x003C_0050  // basic.ack (60, 80)
    private static let basicNack: amqp_method_number_t = 0x003C_0078  // basic.nack (60, 120)
    private static let messageID = "5F1A7C2E-9B3D-4E8A-A1C6-0D2B4F6E8A90"
    /// MessageBus's default confirm window (`RabbitMQConfiguration.confirmWindow`): the raw publisher's window in
    /// the `send` + `flush` case, and when filling queues.
    static let messageBusConfirmWindow = 4096

    private let state: amqp_connection_state_t
    /// Publishes sent and the highest delivery tag the broker confirmed (confirms arrive in order).
    private(set) var published: UInt64 = 0
    private(set) var confirmed: UInt64 = 0

    /// Connects, logs in and opens channel 1.
    init(_ endpoint: AMQPAddress) throws {
        guard let state = amqp_new_connection(), let socket = amqp_tcp_socket_new(state) else {
            throw BenchError("amqp_new_connection failed")
        }
        self.state = state
        let status = amqp_socket_open(socket, endpoint.host, endpoint.port)
        guard status == AMQP_STATUS_OK.rawValue else {
            amqp_destroy_connection(state)
            throw BenchError("connect \(endpoint.host):\(endpoint.port): \(String(cString: amqp_error_string2(status)))")
        }
        try Self.check(
            messagebus_amqp_login_plain(state, endpoint.virtualHost, 0, 131_072, 0, endpoint.user, endpoint.password),
            "login")
        amqp_channel_open(state, Self.channel)
        try Self.check(amqp_get_rpc_reply(state), "channel.open")
    }

    deinit {
        _ = amqp_channel_close(self.state, Self.channel, AMQP_REPLY_SUCCESS)
        _ = amqp_connection_close(self.state, AMQP_REPLY_SUCCESS)
        amqp_destroy_connection(self.state)
    }

    // MARK: Publishing

    /// How a publisher waits for confirms.
    enum ConfirmMode {
        /// A sliding window: at most this many unconfirmed at once (MessageBus's `send` + `flush` path has one).
        case window(Int)
        /// Batches: publish this many, wait until all are confirmed, repeat (what `publish(contentsOf:)` does).
        case batches(Int)
    }

    /// Publishes `count` messages of `payload` to `exchange` with publisher confirms, timed from after a confirmed
    /// warm-up message (every publisher sends one, see `BusWorkload.publish`) until the last confirm. Filling a
    /// queue for a consume case (`warmUp: false`) publishes exactly `count` messages.
    func publish(exchange: String, count: Int, payload: [UInt8], mode: ConfirmMode, warmUp: Bool = true) throws -> CaseResult {
        try self.selectConfirms()
        if warmUp {
            try self.publish(exchange: exchange, body: payload)
            while self.confirmed < self.published { try self.readConfirms(timeout: nil) }
        }
        var meter = Meter()
        meter.begin()
        let total = self.published + UInt64(count)
        while self.confirmed < total {
            let limit: UInt64
            switch mode {
            case .window(let size): limit = min(total, self.confirmed + UInt64(size))
            case .batches(let size): limit = self.confirmed == self.published ? min(total, self.published + UInt64(size)) : self.published
            }
            while self.published < limit { try self.publish(exchange: exchange, body: payload) }
            try self.readConfirms(timeout: nil)
        }
        meter.finish()
        return try meter.result(messages: count)
    }

    /// Puts the channel in confirm mode.
    func selectConfirms() throws {
        amqp_confirm_select(self.state, Self.channel)
        try Self.check(amqp_get_rpc_reply(self.state), "confirm.select")
    }

    /// Publishes one persistent message.
    func publish(exchange: String, body: [UInt8]) throws {
        var properties = amqp_basic_properties_t()
        properties._flags = amqp_flags_t(AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_MESSAGE_ID_FLAG | AMQP_BASIC_TIMESTAMP_FLAG)
        properties.delivery_mode = 2
        properties.timestamp = UInt64(time(nil))
        let status = exchange.withCString { exchangeName in
            Self.messageID.withCString { id in
                properties.message_id = amqp_cstring_bytes(id)
                return body.withUnsafeBytes { bytes in
                    amqp_basic_publish(
                        self.state, Self.channel, amqp_cstring_bytes(exchangeName), amqp_empty_bytes, 0, 0, &properties,
                        amqp_bytes_t(len: bytes.count, bytes: UnsafeMutableRawPointer(mutating: bytes.baseAddress)))
                }
            }
        }
        guard status == AMQP_STATUS_OK.rawValue else {
            throw BenchError("publish: \(String(cString: amqp_error_string2(status)))")
        }
        self.published += 1
    }

    /// Reads frames until a confirm arrives (`timeout` nil) or until `timeout` passes, updating ``confirmed``.
    func readConfirms(timeout: Duration?) throws {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        while true {
            var frame = amqp_frame_t()
            let status: Int32
            if let deadline {
                let remaining = max(.zero, deadline - ContinuousClock.now)
                var wait = timeval(tv_sec: Int(remaining.components.seconds), tv_usec: Int(remaining.components.attoseconds / 1_000_000_000_000))
                status = amqp_simple_wait_frame_noblock(self.state, &frame, &wait)
                if status == AMQP_STATUS_TIMEOUT.rawValue { return }
            } else {
                status = amqp_simple_wait_frame(self.state, &frame)
            }
            guard status == AMQP_STATUS_OK.rawValue else {
                throw BenchError("waiting for confirms: \(String(cString: amqp_error_string2(status)))")
            }
            guard frame.frame_type == UInt8(AMQP_FRAME_METHOD), let decoded = frame.payload.method.decoded else { continue }
            switch frame.payload.method.id {
            case Self.basicAck:
                self.confirmed = max(self.confirmed, decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee.delivery_tag)
                if deadline == nil { return }
            case Self.basicNack:
                throw BenchError("the broker refused a publish (basic.nack)")
            default:
                continue
            }
        }
    }

    // MARK: Consuming

    /// Consumes from `queue` with `prefetch` until `body` has accepted `count` messages, acknowledging every
    /// `ackEvery` deliveries at once (1: each one), and failing after `timeout` without a message.
    func consume(
        queue: String, count: Int, prefetch: UInt16, ackEvery: Int, timeout: Duration,
        _ body: (UnsafeRawBufferPointer) -> Bool
    ) throws {
        amqp_basic_qos(self.state, Self.channel, 0, prefetch, 0)
        try Self.check(amqp_get_rpc_reply(self.state), "basic.qos")
        amqp_basic_consume(self.state, Self.channel, amqp_cstring_bytes(queue), amqp_empty_bytes, 0, 0, 0, amqp_empty_table)
        try Self.check(amqp_get_rpc_reply(self.state), "basic.consume \(queue)")
        var accepted = 0
        var received = 0
        var unacknowledged: UInt64?
        while accepted < count {
            amqp_maybe_release_buffers(self.state)
            var envelope = amqp_envelope_t()
            var wait = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
            let reply = amqp_consume_message(self.state, &envelope, &wait, 0)
            guard reply.reply_type == AMQP_RESPONSE_NORMAL else {
                throw BenchError("raw consumer accepted \(accepted) of \(count): \(Self.describe(reply))")
            }
            if body(UnsafeRawBufferPointer(start: envelope.message.body.bytes, count: envelope.message.body.len)) {
                accepted += 1
            }
            received += 1
            unacknowledged = envelope.delivery_tag
            amqp_destroy_envelope(&envelope)
            if received % ackEvery == 0, let tag = unacknowledged {
                amqp_basic_ack(self.state, Self.channel, tag, ackEvery > 1 ? 1 : 0)
                unacknowledged = nil
            }
        }
        if let tag = unacknowledged { amqp_basic_ack(self.state, Self.channel, tag, 1) }
    }

    /// Consumes `count` messages, timed from the first to the last acknowledgement.
    func consume(queue: String, count: Int, prefetch: UInt16, ackEvery: Int, timeout: Duration) throws -> CaseResult {
        var meter = Meter()
        try self.consume(queue: queue, count: count, prefetch: prefetch, ackEvery: ackEvery, timeout: timeout) { _ in
            meter.begin()
            return true
        }
        meter.finish()
        return try meter.result(messages: count)
    }

    // MARK: Clean-up

    /// Deletes what a case created, so that repeated runs do not fill the broker's disk (queues are durable).
    func delete(queues: [String], exchanges: [String]) {
        for queue in queues {
            amqp_queue_delete(self.state, Self.channel, amqp_cstring_bytes(queue), 0, 0)
            _ = amqp_get_rpc_reply(self.state)
        }
        for exchange in exchanges {
            amqp_exchange_delete(self.state, Self.channel, amqp_cstring_bytes(exchange), 0)
            _ = amqp_get_rpc_reply(self.state)
        }
    }

    private static func check(_ reply: amqp_rpc_reply_t, _ what: String) throws {
        guard reply.reply_type != AMQP_RESPONSE_NORMAL else { return }
        throw BenchError("\(what): \(self.describe(reply))")
    }

    private static func describe(_ reply: amqp_rpc_reply_t) -> String {
        reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION
            ? String(cString: amqp_error_string2(reply.library_error)) : "broker exception (reply type \(reply.reply_type.rawValue))"
    }
}
