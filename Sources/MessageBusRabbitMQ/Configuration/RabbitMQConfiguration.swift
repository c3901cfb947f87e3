import MessageBus

/// Everything the RabbitMQ backend needs to connect, beyond the settings every backend shares
/// (``/MessageBus/MessageBusConfiguration``).
///
/// Build one directly, or from an `amqp://` / `amqps://` URL with ``init(url:)``. The password is never part of
/// ``description``, a log line or an error message.
public struct RabbitMQConfiguration: Sendable, CustomStringConvertible {
    /// The nodes to connect to, tried in order; recovery cycles through them.
    public var endpoints: [RabbitMQEndpoint]
    /// The virtual host; `/` by default.
    public var virtualHost: String
    /// The user name for SASL PLAIN.
    public var user: String
    /// The password for SASL PLAIN. Never logged.
    public var password: String
    /// The heartbeat interval to propose; the broker may lower it. Zero turns heartbeats off (not recommended: a
    /// silently dead TCP connection is then only noticed on the next write).
    public var heartbeat: Duration
    /// The largest frame to propose, in bytes (at least 4096); larger bodies are split into several frames.
    public var frameMax: Int
    /// The most channels to propose; 0 accepts the broker's limit.
    public var channelMax: Int
    /// The connection name the broker shows (management UI, `rabbitmqctl list_connections`); the bus's client
    /// name when `nil`.
    public var connectionName: String?
    /// How long connecting to one node may take in all: TCP, TLS and the AMQP handshake (login). A node that
    /// accepts the socket but never answers fails after this too.
    public var connectionTimeout: Duration
    /// How long the broker may take to answer a request (login, declare, consume).
    public var requestTimeout: Duration
    /// TLS settings; `nil` for plain TCP. Set for `amqps://` URLs.
    public var tls: RabbitMQTLSConfiguration?
    /// How a lost connection is recovered; on by default.
    public var recovery: RabbitMQRecoveryPolicy
    /// The kind of queue a subscriber group gets; quorum by default.
    public var groupQueueType: RabbitMQQueueType
    /// The most publishes awaiting the broker's confirmation at once (the pipelined window); later publishes wait.
    public var confirmWindow: Int
    /// Whether every publish is mandatory: a message that reaches no queue (no group or broadcast subscriber is
    /// bound to its destination) fails its publish with ``/MessageBus/MessageBusError/Code/unroutable`` instead of
    /// being dropped by RabbitMQ. Off by default; ``RabbitMQPublishOptions/mandatory`` overrides it per publish.
    /// Dead-letter copies follow it too: rejecting to a dead-letter destination nobody subscribed to then fails
    /// (and the original stays unsettled) rather than losing the message.
    public var mandatory: Bool

    /// Creates a configuration for one or more nodes.
    ///
    /// - Parameters:
    ///   - endpoints: The nodes, tried in order.
    ///   - virtualHost: The virtual host.
    ///   - user: The user name.
    ///   - password: The password.
    ///   - heartbeat: The heartbeat interval to propose.
    ///   - frameMax: The largest frame to propose.
    ///   - channelMax: The most channels to propose; 0 for the broker's limit.
    ///   - connectionName: The name the broker shows; the bus's client name when `nil`.
    ///   - connectionTimeout: The longest connecting to one node (TCP, TLS and AMQP handshake) may take.
    ///   - requestTimeout: The longest the broker may take to answer a request.
    ///   - tls: TLS settings; `nil` for plain TCP.
    ///   - recovery: How a lost connection is recovered.
    ///   - groupQueueType: The queue type of subscriber groups.
    ///   - confirmWindow: The most publishes awaiting confirmation at once.
    ///   - mandatory: Whether unroutable messages fail their publish.
    public init(
        endpoints: [RabbitMQEndpoint] = [RabbitMQEndpoint(host: "127.0.0.1")],
        virtualHost: String = "/",
        user: String = "guest",
        password: String = "guest",
        heartbeat: Duration = .seconds(30),
        frameMax: Int = 131_072,
        channelMax: Int = 0,
        connectionName: String? = nil,
        connectionTimeout: Duration = .seconds(10),
        requestTimeout: Duration = .seconds(15),
        tls: RabbitMQTLSConfiguration? = nil,
        recovery: RabbitMQRecoveryPolicy = RabbitMQRecoveryPolicy(),
        groupQueueType: RabbitMQQueueType = .quorum,
        confirmWindow: Int = 4096,
        mandatory: Bool = false
    ) {
        self.endpoints = endpoints
        self.virtualHost = virtualHost
        self.user = user
        self.password = password
        self.heartbeat = heartbeat
        self.frameMax = frameMax
        self.channelMax = channelMax
        self.connectionName = connectionName
        self.connectionTimeout = connectionTimeout
        self.requestTimeout = requestTimeout
        self.tls = tls
        self.recovery = recovery
        self.groupQueueType = groupQueueType
        self.confirmWindow = confirmWindow
        self.mandatory = mandatory
    }

    /// Throws ``/MessageBus/MessageBusError/Code/invalidConfiguration`` naming the first setting out of range.
    public func validate() throws {
        guard !self.endpoints.isEmpty else {
            throw MessageBusError.invalidSetting(key: "endpoints", value: "[]", expected: "at least one host")
        }
        for endpoint in self.endpoints where endpoint.host.isEmpty || !(1...65_535).contains(endpoint.port) {
            throw MessageBusError.invalidSetting(
                key: "endpoints", value: endpoint.description, expected: "a host name and a port from 1 to 65535")
        }
        try Self.check(self.heartbeat >= .zero && self.heartbeat <= .seconds(65_535), "heartbeat", "\(self.heartbeat)",
            "0 to 65535 seconds")
        try Self.check((4096...Int(Int32.max)).contains(self.frameMax), "frame_max", "\(self.frameMax)",
            "at least 4096 bytes")
        try Self.check((0...65_535).contains(self.channelMax), "channel_max", "\(self.channelMax)", "0 to 65535")
        try Self.check(self.connectionTimeout > .zero, "connection_timeout", "\(self.connectionTimeout)",
            "a positive duration")
        try Self.check(self.requestTimeout > .zero, "requestTimeout", "\(self.requestTimeout)", "a positive duration")
        try Self.check(self.groupQueueType != .stream, "groupQueueType", "stream",
            "quorum or classic (a stream gives every consumer every message, so a group could not share the work)")
        try Self.check(self.confirmWindow >= 1, "confirmWindow", "\(self.confirmWindow)", "at least 1")
        if let tls = self.tls, (tls.clientCertificatePath == nil) != (tls.clientKeyPath == nil) {
            throw MessageBusError.invalidSetting(
                key: "tls", value: "a client certificate without its key (or a key without its certificate)",
                expected: "both clientCertificatePath and clientKeyPath, or neither")
        }
    }

    /// The endpoints, virtual host, user and TLS mode; never the password.
    public var description: String {
        let scheme = self.tls == nil ? "amqp" : "amqps"
        let hosts = self.endpoints.map(\.description).joined(separator: ",")
        return "\(scheme)://\(self.user):***@\(hosts)/\(self.virtualHost)"
    }

    private static func check(_ condition: Bool, _ key: String, _ value: String, _ expected: String) throws {
        if !condition { throw MessageBusError.invalidSetting(key: key, value: value, expected: expected) }
    }
}
