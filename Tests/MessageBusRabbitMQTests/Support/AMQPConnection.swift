import MessageBusIntegrationSupport
import CMessageBusRabbitMQ
import Foundation

/// An open AMQP connection with channel 1, through rabbitmq-c, for the tests.
///
/// Only for test code that runs on a dedicated thread (see `onDedicatedThread`): every call may block,
/// each for at most the RPC timeout set here.
final class AMQPConnection {
    /// The parts of an AMQP URL, copied out of rabbitmq-c's parser.
    struct Address: Sendable {
        var host: String
        var port: Int32
        var user: String
        var password: String
        var virtualHost: String
        var tls: Bool

        /// Parses `url` with `amqp_parse_url`.
        init(parsing url: String) throws {
            // amqp_parse_url writes into the string and points the result into it: copy out at once.
            var buffer = Array(url.utf8CString)
            let parsed = buffer.withUnsafeMutableBufferPointer { pointer -> Address? in
                var info = amqp_connection_info()
                amqp_default_connection_info(&info)
                guard amqp_parse_url(pointer.baseAddress, &info) == AMQP_STATUS_OK.rawValue else { return nil }
                return Address(
                    host: String(cString: info.host),
                    port: info.port,
                    user: String(cString: info.user),
                    password: String(cString: info.password),
                    virtualHost: String(cString: info.vhost),
                    tls: info.ssl != 0
                )
            }
            guard let parsed else { throw AMQPClientError("amqp_parse_url could not parse \(url)") }
            self = parsed
        }

        private init(host: String, port: Int32, user: String, password: String, virtualHost: String, tls: Bool) {
            self.host = host
            self.port = port
            self.user = user
            self.password = password
            self.virtualHost = virtualHost
            self.tls = tls
        }

        /// `host:port`, for messages.
        var endpoint: String { "\(host):\(port)" }
    }

    let state: amqp_connection_state_t
    let address: Address
    let channel: amqp_channel_t = 1
    private var open = false

    /// Connects (TCP, at most `connectTimeoutSeconds`), logs in with PLAIN and opens channel 1.
    ///
    /// Fails with `BrokerUnreachable` when nothing accepts the TCP connection.
    init(url: String, connectTimeoutSeconds: Int = 5, rpcTimeoutSeconds: Int = 10) throws {
        let address = try Address(parsing: url)
        guard !address.tls else { throw AMQPClientError("amqps:// is not covered by the smoke test: \(url)") }
        guard let state = amqp_new_connection() else { throw AMQPClientError("amqp_new_connection failed") }
        self.state = state
        self.address = address
        guard let socket = amqp_tcp_socket_new(state) else { throw AMQPClientError("amqp_tcp_socket_new failed") }
        var connectTimeout = timeval(tv_sec: connectTimeoutSeconds, tv_usec: 0)
        let status = amqp_socket_open_noblock(socket, address.host, address.port, &connectTimeout)
        guard status == AMQP_STATUS_OK.rawValue else {
            throw BrokerUnreachable(
                broker: "RabbitMQ",
                address: address.endpoint,
                variable: AMQPTestEnvironment.urlVariable,
                detail: String(cString: amqp_error_string2(status))
            )
        }
        // Bounded waits from here on: the handshake and every RPC give up after the timeout.
        var rpcTimeout = timeval(tv_sec: rpcTimeoutSeconds, tv_usec: 0)
        amqp_set_handshake_timeout(state, &rpcTimeout)
        amqp_set_rpc_timeout(state, &rpcTimeout)
        let login = messagebus_amqp_login_plain(
            state, address.virtualHost, 0, 131_072, 0, address.user, address.password
        )
        try AMQPClientError.check(login, "login to \(address.endpoint) as \(address.user)")
        open = true
        amqp_channel_open(state, channel)
        try AMQPClientError.check(amqp_get_rpc_reply(state), "channel.open")
    }

    deinit {
        if open {
            _ = amqp_channel_close(state, channel, AMQP_REPLY_SUCCESS)
            _ = amqp_connection_close(state, AMQP_REPLY_SUCCESS)
        }
        amqp_destroy_connection(state)
    }
}
