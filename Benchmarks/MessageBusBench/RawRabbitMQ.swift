import CMessageBusRabbitMQ
import Foundation

/// The raw rabbitmq-c baseline: a windowed-confirm publisher and a prefetching consumer that acknowledges many
/// at once, as an application writes them against the C API.
final class RawRabbitMQ {
    private static let channel: amqp_channel_t = 1
    private static let basicAck: amqp_method_number_t = 0x003C_0050  // basic.ack (60, 80)
    private static let basicNack: amqp_method_number_t = 0x003C_0078  // basic.nack (60, 120)
    private static let persistentDeliveryMode: UInt8 = 2
    private static let deliveryModeFlag: amqp_flags_t = 1 << 12

    private let state: amqp_connection_state_t

    /// Connects, logs in and opens channel 1.
    init(host: String, port: Int32, user: String, password: String, virtualHost: String) throws {
        guard let state = amqp_new_connection(), let socket = amqp_tcp_socket_new(state) else {
            throw RawClientError(description: "amqp_new_connection failed")
        }
        self.state = state
        let status = amqp_socket_open(socket, host, port)
        guard status == AMQP_STATUS_OK.rawValue else {
            throw RawClientError(description: "connect \(host):\(port): \(String(cString: amqp_error_string2(status)))")
        }
        try Self.check(messagebus_amqp_login_plain(state, virtualHost, 0, 131_072, 0, user, password), "login")
        amqp_channel_open(state, Self.channel)
        try Self.check(amqp_get_rpc_reply(state), "channel.open")
    }

    deinit {
        _ = amqp_channel_close(self.state, Self.channel, AMQP_REPLY_SUCCESS)
        _ = amqp_connection_close(self.state, AMQP_REPLY_SUCCESS)
        amqp_destroy_connection(self.state)
    }

    /// Publishes `count` persistent messages to `exchange` with publisher confirms, at most `window` unconfirmed.
    func publish(exchange: String, routingKey: String, count: Int, payload: [UInt8], window: Int) throws -> Duration {
        amqp_confirm_select(self.state, Self.channel)
        try Self.check(amqp_get_rpc_reply(self.state), "confirm.select")
        var properties = amqp_basic_properties_t()
        properties._flags = Self.deliveryModeFlag
        properties.delivery_mode = Self.persistentDeliveryMode
        let start = ContinuousClock.now
        var published = 0
        var confirmed: UInt64 = 0
        try exchange.withCString { exchangeName in
            try routingKey.withCString { key in
                try payload.withUnsafeBytes { bytes in
                    let body = amqp_bytes_t(len: bytes.count, bytes: UnsafeMutableRawPointer(mutating: bytes.baseAddress))
                    while confirmed < UInt64(count) {
                        while published < count && UInt64(published) - confirmed < UInt64(window) {
                            let status = amqp_basic_publish(
                                self.state, Self.channel, amqp_cstring_bytes(exchangeName), amqp_cstring_bytes(key), 0, 0,
                                &properties, body)
                            guard status == AMQP_STATUS_OK.rawValue else {
                                throw RawClientError(description: "publish: \(String(cString: amqp_error_string2(status)))")
                            }
                            published += 1
                        }
                        confirmed = max(confirmed, try self.readConfirm())
                    }
                }
            }
        }
        return ContinuousClock.now - start
    }

    /// Consumes `count` messages from `queue` with `prefetch`, acknowledging every `ackEvery` at once.
    func consume(queue: String, count: Int, prefetch: UInt16, ackEvery: Int) throws -> Duration {
        amqp_basic_qos(self.state, Self.channel, 0, prefetch, 0)
        try Self.check(amqp_get_rpc_reply(self.state), "basic.qos")
        amqp_basic_consume(self.state, Self.channel, amqp_cstring_bytes(queue), amqp_empty_bytes, 0, 0, 0, amqp_empty_table)
        try Self.check(amqp_get_rpc_reply(self.state), "basic.consume \(queue)")
        var stopwatch = Stopwatch()
        var received = 0
        var lastTag: UInt64 = 0
        while received < count {
            amqp_maybe_release_buffers(self.state)
            var envelope = amqp_envelope_t()
            var timeout = timeval(tv_sec: 30, tv_usec: 0)
            let reply = amqp_consume_message(self.state, &envelope, &timeout, 0)
            guard reply.reply_type == AMQP_RESPONSE_NORMAL else {
                throw RawClientError(description: "raw consumer received \(received) of \(count): \(Self.describe(reply))")
            }
            stopwatch.markFirst()
            received += 1
            lastTag = envelope.delivery_tag
            amqp_destroy_envelope(&envelope)
            if received % ackEvery == 0 { amqp_basic_ack(self.state, Self.channel, lastTag, 1) }
        }
        amqp_basic_ack(self.state, Self.channel, lastTag, 1)
        stopwatch.markLast()
        return stopwatch.elapsed
    }

    /// Reads method frames until a confirm arrives; returns the highest tag it confirms.
    private func readConfirm() throws -> UInt64 {
        while true {
            var frame = amqp_frame_t()
            let status = amqp_simple_wait_frame(self.state, &frame)
            guard status == AMQP_STATUS_OK.rawValue else {
                throw RawClientError(description: "waiting for confirms: \(String(cString: amqp_error_string2(status)))")
            }
            guard frame.frame_type == UInt8(AMQP_FRAME_METHOD), let decoded = frame.payload.method.decoded else { continue }
            switch frame.payload.method.id {
            case Self.basicAck:
                return decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee.delivery_tag
            case Self.basicNack:
                throw RawClientError(description: "the broker refused a publish (basic.nack)")
            default:
                continue
            }
        }
    }

    private static func check(_ reply: amqp_rpc_reply_t, _ what: String) throws {
        guard reply.reply_type != AMQP_RESPONSE_NORMAL else { return }
        throw RawClientError(description: "\(what): \(self.describe(reply))")
    }

    private static func describe(_ reply: amqp_rpc_reply_t) -> String {
        reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION
            ? String(cString: amqp_error_string2(reply.library_error)) : "broker exception (reply type \(reply.reply_type.rawValue))"
    }
}
