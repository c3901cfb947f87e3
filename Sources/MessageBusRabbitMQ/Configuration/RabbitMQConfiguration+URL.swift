public import MessageBus

extension RabbitMQConfiguration {
    /// The query options an `amqp://` or `amqps://` URL accepts.
    ///
    /// `heartbeat` (seconds), `frame_max` (bytes), `channel_max`, `connection_name`, `connection_timeout`
    /// (seconds), `queue_type` (`quorum` or `classic`, for subscriber groups), `recovery` (`true`/`false`),
    /// `mandatory` (`true`/`false`: unroutable publishes fail, see ``mandatory``) and, for
    /// `amqps://`, `cacertfile`, `certfile`, `keyfile`, `verify` (`verify_peer` or `verify_none`) and
    /// `verify_hostname` (`true`/`false`), as in RabbitMQ's URI specification.
    public static let urlOptions: Set<String> = [
        "heartbeat", "frame_max", "channel_max", "connection_name", "connection_timeout", "queue_type", "recovery", "mandatory",
        "cacertfile", "certfile", "keyfile", "verify", "verify_hostname",
    ]

    /// Reads a configuration from `amqp://user:password@host[:port][,host[:port]...][/vhost][?options]`.
    ///
    /// The path is the percent-encoded virtual host (`%2F` is `/`; no path means `/`). User and password default
    /// to `guest`. Ports default to 5672, or 5671 for `amqps://`.
    ///
    /// - Throws: ``/MessageBus/MessageBusError/Code/invalidURL`` for another scheme or no host, and
    ///   ``/MessageBus/MessageBusError/Code/invalidConfiguration`` for an unknown option or a value out of range.
    public init(url: MessageBusURL) throws {
        guard url.scheme == "amqp" || url.scheme == "amqps" else {
            throw MessageBusError(.invalidURL, "'\(url)' is not an amqp:// or amqps:// URL")
        }
        try url.rejectUnknownQueryKeys(known: Self.urlOptions)
        guard !url.hosts.isEmpty else {
            throw MessageBusError(.invalidURL, "'\(url)' names no host: expected \(url.scheme)://user:password@host:port/vhost")
        }
        let isTLS = url.scheme == "amqps"
        let defaultPort = isTLS ? 5671 : 5672
        self.init(
            endpoints: url.hosts.map { RabbitMQEndpoint(host: $0.name, port: $0.port ?? defaultPort) },
            virtualHost: url.hasPath ? url.path : "/",
            user: url.user ?? "guest",
            password: url.password ?? "guest"
        )
        if let value = url.queryValue("heartbeat") {
            self.heartbeat = .seconds(try Self.integer(value, key: "heartbeat", url: url))
        }
        if let value = url.queryValue("frame_max") {
            self.frameMax = try Self.integer(value, key: "frame_max", url: url)
        }
        if let value = url.queryValue("channel_max") {
            self.channelMax = try Self.integer(value, key: "channel_max", url: url)
        }
        if let value = url.queryValue("connection_name") {
            self.connectionName = value
        }
        if let value = url.queryValue("connection_timeout") {
            self.connectionTimeout = .seconds(try Self.integer(value, key: "connection_timeout", url: url))
        }
        if let value = url.queryValue("queue_type") {
            guard let type = RabbitMQQueueType(rawValue: value), type != .stream else {
                throw MessageBusError.invalidSetting(key: "queue_type", value: value, expected: "quorum or classic")
            }
            self.groupQueueType = type
        }
        if let value = url.queryValue("mandatory") {
            self.mandatory = try Self.boolean(value, key: "mandatory")
        }
        if let value = url.queryValue("recovery") {
            self.recovery.isEnabled = try Self.boolean(value, key: "recovery")
        }
        if isTLS {
            var tls = RabbitMQTLSConfiguration()
            tls.caCertificatePath = url.queryValue("cacertfile")
            tls.clientCertificatePath = url.queryValue("certfile")
            tls.clientKeyPath = url.queryValue("keyfile")
            if let value = url.queryValue("verify") {
                switch value {
                case "verify_peer": tls.verifyPeer = true
                case "verify_none": tls.verifyPeer = false
                default:
                    throw MessageBusError.invalidSetting(key: "verify", value: value, expected: "verify_peer or verify_none")
                }
            }
            if let value = url.queryValue("verify_hostname") {
                tls.verifyHostname = try Self.boolean(value, key: "verify_hostname")
            }
            self.tls = tls
        } else if let tlsKey = ["cacertfile", "certfile", "keyfile", "verify", "verify_hostname"].first(where: {
            url.queryValue($0) != nil
        }) {
            throw MessageBusError(
                .invalidConfiguration, "option '\(tlsKey)' in \(url) needs TLS: use an amqps:// URL")
        }
        try self.validate()
    }

    private static func integer(_ text: String, key: String, url: MessageBusURL) throws -> Int {
        guard let value = Int(text), value >= 0 else {
            throw MessageBusError.invalidSetting(key: key, value: text, expected: "a non-negative integer (in \(url))")
        }
        return value
    }

    private static func boolean(_ text: String, key: String) throws -> Bool {
        switch text.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw MessageBusError.invalidSetting(key: key, value: text, expected: "true or false")
        }
    }
}
