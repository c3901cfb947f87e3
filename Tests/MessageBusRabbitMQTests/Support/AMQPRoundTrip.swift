import MessageBusIntegrationSupport
import CMessageBusRabbitMQ
import Foundation

/// Publishes one message and fetches it back with basic.get through rabbitmq-c's C API, on a queue of
/// its own that it deletes afterwards. Every function blocks: call them from `onDedicatedThread`.
enum AMQPRoundTrip {
    /// A fetched message.
    struct Fetched: Sendable, Equatable {
        var body: String
        var contentType: String
    }

    /// Declares `queue`, publishes `body` to it through the default exchange, fetches it back (retrying an
    /// empty basic.get until `timeout`), then deletes the queue, whether or not the round trip worked.
    /// Returns the fetched message and the number of messages the deletion reported left in the queue.
    static func publishAndGet(
        _ body: String,
        queue: String,
        url: String,
        timeout: Duration = .seconds(10)
    ) throws -> (fetched: Fetched, leftInQueue: UInt32) {
        let connection = try AMQPConnection(url: url)
        let state = connection.state
        let channel = connection.channel
        let queueName = strdup(queue)!
        defer { free(queueName) }
        let queueBytes = amqp_cstring_bytes(queueName)

        _ = amqp_queue_declare(state, channel, queueBytes, 0, 0, 0, 0, amqp_empty_table)
        try AMQPClientError.check(amqp_get_rpc_reply(state), "queue.declare \(queue)")

        let fetched: Fetched
        do {
            fetched = try publishThenGet(body, connection: connection, queue: queueBytes, timeout: timeout)
        } catch {
            _ = amqp_queue_delete(state, channel, queueBytes, 0, 0)
            throw error
        }
        guard let deleted = amqp_queue_delete(state, channel, queueBytes, 0, 0) else {
            throw AMQPClientError("queue.delete \(queue): \(AMQPClientError.describe(amqp_get_rpc_reply(state)))")
        }
        return (fetched, deleted.pointee.message_count)
    }

    private static func publishThenGet(
        _ body: String,
        connection: AMQPConnection,
        queue: amqp_bytes_t,
        timeout: Duration
    ) throws -> Fetched {
        let state = connection.state
        let channel = connection.channel
        let contentType = strdup("text/plain")!
        defer { free(contentType) }
        let bodyText = strdup(body)!
        defer { free(bodyText) }
        var properties = amqp_basic_properties_t()
        properties._flags = amqp_flags_t(AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG)
        properties.content_type = amqp_cstring_bytes(contentType)
        properties.delivery_mode = 2  // persistent
        let status = amqp_basic_publish(
            state, channel, amqp_empty_bytes, queue, 0, 0, &properties, amqp_cstring_bytes(bodyText)
        )
        guard status == AMQP_STATUS_OK.rawValue else {
            throw AMQPClientError("basic.publish: \(String(cString: amqp_error_string2(status)))")
        }

        // basic.get answers get-empty until the broker has routed the message: retry, bounded.
        let deadline = ContinuousClock.now + timeout
        while true {
            let reply = amqp_basic_get(state, channel, queue, 1)
            try AMQPClientError.check(reply, "basic.get")
            if reply.reply.id == AMQPMethod.basicGetOk {
                var message = amqp_message_t()
                let read = amqp_read_message(state, channel, &message, 0)
                try AMQPClientError.check(read, "reading the basic.get-ok content")
                defer { amqp_destroy_message(&message) }
                let hasContentType = message.properties._flags & amqp_flags_t(AMQP_BASIC_CONTENT_TYPE_FLAG) != 0
                return Fetched(
                    body: message.body.text,
                    contentType: hasContentType ? message.properties.content_type.text : ""
                )
            }
            guard ContinuousClock.now < deadline else {
                throw AMQPClientError("basic.get found no message within \(timeout)")
            }
            amqp_maybe_release_buffers(state)
            Thread.sleep(forTimeInterval: 0.05)
        }
    }
}
