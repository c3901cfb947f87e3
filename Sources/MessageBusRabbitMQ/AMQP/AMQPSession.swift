internal import CMessageBusRabbitMQ
import Foundation
import MessageBus

/// One open AMQP connection through rabbitmq-c: the socket, the login, and blocking RPCs with bounded timeouts.
///
/// Not thread-safe, like the C connection it owns (rabbitmq-c #428): only the connection's owner thread uses it.
final class AMQPSession {
    let state: amqp_connection_state_t
    let endpoint: RabbitMQEndpoint
    private var isOpen = false

    /// Connects to `endpoint`, logs in and negotiates heartbeat, frame and channel limits.
    ///
    /// - Throws: ``MessageBus/MessageBusError`` typed by cause: `.connectionFailed` for a TCP, TLS or timeout
    ///   failure, `.authenticationFailed` for refused credentials, `.invalidConfiguration` for a missing vhost.
    init(endpoint: RabbitMQEndpoint, configuration: RabbitMQConfiguration, connectionName: String) throws {
        guard let state = amqp_new_connection() else {
            throw MessageBusError(.connectionFailed, "rabbitmq-c could not allocate a connection to \(endpoint)")
        }
        self.state = state
        self.endpoint = endpoint
        // When this throws, deinit still runs (every property is set) and destroys the C connection once.
        // The connection timeout bounds the whole connect: TCP, TLS and the AMQP handshake together, so that a
        // peer that accepts the socket but never speaks AMQP (a hung broker, a wrong port) fails just as fast.
        let deadline = ContinuousClock.now + configuration.connectionTimeout
        try self.openSocket(configuration: configuration)
        try self.login(configuration: configuration, connectionName: connectionName, deadline: deadline)
        self.isOpen = true
    }

    deinit {
        if self.isOpen {
            _ = amqp_connection_close(self.state, AMQP_REPLY_SUCCESS)
        }
        amqp_destroy_connection(self.state)
    }

    /// The socket's file descriptor, to wait on with `poll`.
    var fileDescriptor: Int32 { amqp_get_sockfd(self.state) }
    /// The negotiated heartbeat in seconds (0: none).
    var heartbeatSeconds: Int { Int(amqp_get_heartbeat(self.state)) }
    /// The negotiated highest channel number.
    var channelMax: Int { Int(amqp_get_channel_max(self.state)) }

    /// Closes the connection politely (bounded by the request timeout); the session is unusable afterwards.
    func close() {
        guard self.isOpen else { return }
        self.isOpen = false
        _ = amqp_connection_close(self.state, AMQP_REPLY_SUCCESS)
    }

    /// Marks the connection dead without a close handshake (it is already broken).
    func abandon() {
        self.isOpen = false
    }

    private func openSocket(configuration: RabbitMQConfiguration) throws {
        let socket: OpaquePointer?
        if let tls = configuration.tls {
            socket = amqp_ssl_socket_new(self.state)
            guard let socket else {
                throw MessageBusError(.connectionFailed, "rabbitmq-c could not create a TLS socket for \(self.endpoint)")
            }
            if let ca = tls.caCertificatePath, amqp_ssl_socket_set_cacert(socket, ca) != AMQP_STATUS_OK.rawValue {
                throw MessageBusError(.invalidConfiguration, "cannot read the TLS CA certificate file '\(ca)'")
            }
            if let certificate = tls.clientCertificatePath, let key = tls.clientKeyPath,
                amqp_ssl_socket_set_key(socket, certificate, key) != AMQP_STATUS_OK.rawValue
            {
                throw MessageBusError(
                    .invalidConfiguration, "cannot read the TLS client certificate '\(certificate)' or its key file")
            }
            amqp_ssl_socket_set_verify_peer(socket, tls.verifyPeer ? 1 : 0)
            amqp_ssl_socket_set_verify_hostname(socket, tls.verifyHostname ? 1 : 0)
        } else {
            socket = amqp_tcp_socket_new(self.state)
        }
        guard let socket else {
            throw MessageBusError(.connectionFailed, "rabbitmq-c could not create a socket for \(self.endpoint)")
        }
        var timeout = timeval(duration: configuration.connectionTimeout)
        let status = amqp_socket_open_noblock(socket, self.endpoint.host, Int32(self.endpoint.port), &timeout)
        guard status == AMQP_STATUS_OK.rawValue else {
            let reason = String(cString: amqp_error_string2(status))
            let isTLS = [
                AMQP_STATUS_SSL_ERROR, AMQP_STATUS_SSL_HOSTNAME_VERIFY_FAILED, AMQP_STATUS_SSL_PEER_VERIFY_FAILED,
                AMQP_STATUS_SSL_CONNECTION_FAILED,
            ].map(\.rawValue).contains(status)
            throw MessageBusError(
                isTLS ? .tlsFailed : .connectionFailed,
                "cannot connect to RabbitMQ at \(self.endpoint)\(isTLS ? " (TLS handshake failed)" : ""): \(reason)"
                    + (status == AMQP_STATUS_SOCKET_ERROR.rawValue || status == AMQP_STATUS_TIMEOUT.rawValue
                        ? " within \(configuration.connectionTimeout)" : ""))
        }
    }

    private func login(
        configuration: RabbitMQConfiguration, connectionName: String, deadline: ContinuousClock.Instant
    ) throws {
        var handshake = timeval(duration: max(deadline - .now, .milliseconds(1)))
        amqp_set_handshake_timeout(self.state, &handshake)
        amqp_set_rpc_timeout(self.state, &handshake)
        defer {
            var requests = timeval(duration: configuration.requestTimeout)
            amqp_set_rpc_timeout(self.state, &requests)
        }
        let reply = AMQPTableBuilder.withClientProperties(connectionName: connectionName) { properties in
            messagebus_amqp_login_plain_with_properties(
                self.state, configuration.virtualHost, Int32(configuration.channelMax), Int32(configuration.frameMax),
                Int32(configuration.heartbeat.components.seconds), properties, configuration.user,
                configuration.password)
        }
        guard reply.reply_type != AMQP_RESPONSE_NORMAL else { return }
        if reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION, reply.library_error == AMQP_STATUS_TIMEOUT.rawValue {
            throw MessageBusError(
                .connectionFailed,
                "\(self.endpoint) accepted the connection but did not complete the AMQP handshake within "
                    + "\(configuration.connectionTimeout) (not RabbitMQ, or a broker that does not answer)")
        }
        if reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION, configuration.tls != nil,
            reply.library_error == AMQP_STATUS_SSL_ERROR.rawValue
        {
            // With TLS 1.3 a broker that refuses the client's certificate (or its absence) says so only after
            // the client finished its side of the handshake, so the failure surfaces here rather than at connect.
            throw MessageBusError(
                .tlsFailed,
                "\(self.endpoint) ended the TLS session during the AMQP handshake (TLS error); the broker may "
                    + "require a client certificate it trusts (certfile and keyfile)")
        }
        let failure = AMQPFailure.from(reply, channel: 0)
        switch failure {
        case .connectionLost(let code?, let text) where code == AMQPReplyCode.accessRefused:
            throw MessageBusError(
                .authenticationFailed,
                "RabbitMQ at \(self.endpoint) refused user '\(configuration.user)': \(code) \(text)")
        case .connectionLost(let code?, let text) where code == AMQPReplyCode.notAllowed:
            throw MessageBusError(
                .invalidConfiguration,
                "RabbitMQ at \(self.endpoint) refused virtual host '\(configuration.virtualHost)' for user "
                    + "'\(configuration.user)' (it does not exist or the user has no access): \(code) \(text)")
        case .connectionLost(nil, let text) where text.contains("closed"):
            // RabbitMQ drops the socket on bad credentials when the client does not announce
            // authentication_failure_close.
            throw MessageBusError(
                .authenticationFailed,
                "RabbitMQ at \(self.endpoint) closed the connection during login as '\(configuration.user)': \(text)")
        default:
            throw failure.messageBusError("login to RabbitMQ at \(self.endpoint)")
        }
    }

    // MARK: Channels and RPCs (each blocks the owner thread for at most the request timeout)

    /// Checks the reply of the RPC just made on `channel`; acknowledges a broker-side close of the channel.
    func checkReply(channel: UInt16) throws(AMQPFailure) {
        let reply = amqp_get_rpc_reply(self.state)
        guard reply.reply_type != AMQP_RESPONSE_NORMAL else { return }
        let failure = AMQPFailure.from(reply, channel: channel)
        if case .channelClosed = failure {
            self.sendChannelCloseOk(channel)
        }
        throw failure
    }

    func openChannel(_ channel: UInt16) throws(AMQPFailure) {
        _ = amqp_channel_open(self.state, channel)
        try self.checkReply(channel: channel)
    }

    func closeChannel(_ channel: UInt16) throws(AMQPFailure) {
        let reply = amqp_channel_close(self.state, channel, AMQP_REPLY_SUCCESS)
        guard reply.reply_type != AMQP_RESPONSE_NORMAL else { return }
        let failure = AMQPFailure.from(reply, channel: channel)
        if case .channelClosed = failure {
            self.sendChannelCloseOk(channel)
            return  // closed either way
        }
        throw failure
    }

    func selectConfirms(_ channel: UInt16) throws(AMQPFailure) {
        _ = amqp_confirm_select(self.state, channel)
        try self.checkReply(channel: channel)
    }

    func setPrefetch(_ channel: UInt16, count: Int) throws(AMQPFailure) {
        _ = amqp_basic_qos(self.state, channel, 0, UInt16(clamping: count), 0)
        try self.checkReply(channel: channel)
    }

    func declareExchange(
        _ channel: UInt16, name: String, type: String, durable: Bool, autoDelete: Bool = false, passive: Bool = false,
        isInternal: Bool = false, arguments: AMQPArguments = AMQPArguments()
    ) throws(AMQPFailure) {
        try withBytes(name, type) { (name, type) throws(AMQPFailure) in
            try arguments.withTable { (table) throws(AMQPFailure) in
                _ = amqp_exchange_declare(
                    self.state, channel, name, type, passive ? 1 : 0, durable ? 1 : 0, autoDelete ? 1 : 0,
                    isInternal ? 1 : 0, table)
                try self.checkReply(channel: channel)
            }
        }
    }

    /// Declares a queue (or, `passive`, checks that it exists) and returns its name (the broker's, for a
    /// server-named queue) with its message and consumer counts.
    func declareQueue(
        _ channel: UInt16, name: String, durable: Bool, exclusive: Bool, autoDelete: Bool, passive: Bool = false,
        arguments: AMQPArguments = AMQPArguments()
    ) throws(AMQPFailure) -> RabbitMQQueueStatus {
        try withBytes(name, "") { (nameBytes, _) throws(AMQPFailure) -> RabbitMQQueueStatus in
            try arguments.withTable { (table) throws(AMQPFailure) -> RabbitMQQueueStatus in
                let result = amqp_queue_declare(
                    self.state, channel, nameBytes, passive ? 1 : 0, durable ? 1 : 0, exclusive ? 1 : 0,
                    autoDelete ? 1 : 0, table)
                try self.checkReply(channel: channel)
                guard let ok = result?.pointee else {
                    return RabbitMQQueueStatus(name: name, messageCount: 0, consumerCount: 0)
                }
                return RabbitMQQueueStatus(
                    name: ok.queue.swiftString, messageCount: Int(ok.message_count),
                    consumerCount: Int(ok.consumer_count))
            }
        }
    }

    /// Binds (or unbinds) a queue to an exchange.
    func bindQueue(
        _ channel: UInt16, queue: String, exchange: String, routingKey: String,
        arguments: AMQPArguments = AMQPArguments(), unbind: Bool = false
    ) throws(AMQPFailure) {
        try withBytes(queue, exchange) { (queueBytes, exchangeBytes) throws(AMQPFailure) in
            try withBytes(routingKey, "") { (key, _) throws(AMQPFailure) in
                try arguments.withTable { (table) throws(AMQPFailure) in
                    if unbind {
                        _ = amqp_queue_unbind(self.state, channel, queueBytes, exchangeBytes, key, table)
                    } else {
                        _ = amqp_queue_bind(self.state, channel, queueBytes, exchangeBytes, key, table)
                    }
                    try self.checkReply(channel: channel)
                }
            }
        }
    }

    /// Binds (or unbinds) exchange `destination` to exchange `source`.
    func bindExchange(
        _ channel: UInt16, destination: String, source: String, routingKey: String, arguments: AMQPArguments,
        unbind: Bool
    ) throws(AMQPFailure) {
        try withBytes(destination, source) { (destinationBytes, sourceBytes) throws(AMQPFailure) in
            try withBytes(routingKey, "") { (key, _) throws(AMQPFailure) in
                try arguments.withTable { (table) throws(AMQPFailure) in
                    if unbind {
                        _ = amqp_exchange_unbind(self.state, channel, destinationBytes, sourceBytes, key, table)
                    } else {
                        _ = amqp_exchange_bind(self.state, channel, destinationBytes, sourceBytes, key, table)
                    }
                    try self.checkReply(channel: channel)
                }
            }
        }
    }

    func deleteExchange(_ channel: UInt16, name: String, ifUnused: Bool) throws(AMQPFailure) {
        try withBytes(name, "") { (nameBytes, _) throws(AMQPFailure) in
            _ = amqp_exchange_delete(self.state, channel, nameBytes, ifUnused ? 1 : 0)
            try self.checkReply(channel: channel)
        }
    }

    /// Deletes a queue; returns how many messages went with it.
    func deleteQueue(_ channel: UInt16, name: String, ifUnused: Bool, ifEmpty: Bool) throws(AMQPFailure) -> Int {
        try withBytes(name, "") { (nameBytes, _) throws(AMQPFailure) -> Int in
            let ok = amqp_queue_delete(self.state, channel, nameBytes, ifUnused ? 1 : 0, ifEmpty ? 1 : 0)
            try self.checkReply(channel: channel)
            return Int(ok?.pointee.message_count ?? 0)
        }
    }

    /// Removes a queue's ready messages; returns how many.
    func purgeQueue(_ channel: UInt16, name: String) throws(AMQPFailure) -> Int {
        try withBytes(name, "") { (nameBytes, _) throws(AMQPFailure) -> Int in
            let ok = amqp_queue_purge(self.state, channel, nameBytes)
            try self.checkReply(channel: channel)
            return Int(ok?.pointee.message_count ?? 0)
        }
    }

    /// Starts a consumer (manual acknowledgement unless `noAck`); returns the broker's consumer tag.
    func consume(
        _ channel: UInt16, queue: String, noAck: Bool = false, arguments: AMQPArguments = AMQPArguments()
    ) throws(AMQPFailure) -> String {
        try withBytes(queue, "") { (queueBytes, _) throws(AMQPFailure) -> String in
            try arguments.withTable { (table) throws(AMQPFailure) -> String in
                let ok = amqp_basic_consume(
                    self.state, channel, queueBytes, amqp_empty_bytes, 0, noAck ? 1 : 0, 0, table)
                try self.checkReply(channel: channel)
                return ok?.pointee.consumer_tag.swiftString ?? ""
            }
        }
    }

    func ack(_ channel: UInt16, tag: UInt64, multiple: Bool) throws(AMQPFailure) {
        let status = amqp_basic_ack(self.state, channel, tag, multiple ? 1 : 0)
        if status != AMQP_STATUS_OK.rawValue { throw AMQPFailure.status(status, "basic.ack") }
    }

    func nack(_ channel: UInt16, tag: UInt64, multiple: Bool, requeue: Bool) throws(AMQPFailure) {
        let status = amqp_basic_nack(self.state, channel, tag, multiple ? 1 : 0, requeue ? 1 : 0)
        if status != AMQP_STATUS_OK.rawValue { throw AMQPFailure.status(status, "basic.nack") }
    }

    func sendChannelCloseOk(_ channel: UInt16) {
        var ok = amqp_channel_close_ok_t(dummy: 0)
        _ = amqp_send_method(self.state, channel, AMQPMethod.channelCloseOk, &ok)
    }

    func sendConnectionCloseOk() {
        var ok = amqp_connection_close_ok_t(dummy: 0)
        _ = amqp_send_method(self.state, 0, AMQPMethod.connectionCloseOk, &ok)
    }
}

/// Calls `body` with two strings as `amqp_bytes_t` pointing at their UTF-8 (valid only during the call).
func withBytes<Result>(
    _ first: String, _ second: String, _ body: (amqp_bytes_t, amqp_bytes_t) throws(AMQPFailure) -> Result
) throws(AMQPFailure) -> Result {
    var first = first
    var second = second
    let outcome: Swift.Result<Result, AMQPFailure> = first.withUTF8 { one in
        second.withUTF8 { two in
            do throws(AMQPFailure) {
                return .success(try body(
                    amqp_bytes_t(len: one.count, bytes: UnsafeMutableRawPointer(mutating: one.baseAddress)),
                    amqp_bytes_t(len: two.count, bytes: UnsafeMutableRawPointer(mutating: two.baseAddress))))
            } catch {
                return .failure(error)
            }
        }
    }
    return try outcome.get()
}

extension timeval {
    init(duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self.init(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }
}
