public import MessageBus

extension KafkaConfiguration {
    /// The query options a `kafka://` URL takes besides librdkafka property names.
    ///
    /// - `partitions`: ``topicPartitions``; `replication`: ``topicReplicationFactor``;
    ///   `createTopics` (`true`/`false`): ``createTopics``;
    /// - `groupPrefix`: a prefix for every group id (``groupNaming``); `groupNaming` (`scoped`/`verbatim`);
    /// - `tls` (`true`/`false`): TLS with the system's trust store; `tlsCA`: a CA file (implies TLS);
    /// - `saslMechanism`: `PLAIN`, `SCRAM-SHA-256`, `SCRAM-SHA-512` or `OAUTHBEARER` (with a user in the URL,
    ///   PLAIN by default);
    /// - `brokers`: the broker count of a `kafka-mock://` cluster (3 by default).
    ///
    /// Any other key must be a librdkafka property (`kafka://host:9092?compression.codec=lz4`); it goes to
    /// ``additionalProperties`` and librdkafka validates its value when the bus opens.
    public static let urlOptions: Set<String> = [
        "partitions", "replication", "createTopics", "groupPrefix", "groupNaming", "tls", "tlsCA", "saslMechanism",
        "brokers",
    ]

    /// Maps `kafka://[user:password@]host:port[,host:port...][?option=value&...]` onto a configuration.
    ///
    /// A user and password in the URL turn on SASL (PLAIN unless `saslMechanism` says otherwise); hosts without a
    /// port use 9092.
    ///
    /// - Throws: ``/MessageBus/MessageBusError/Code/invalidURL`` for a URL that is not `kafka://` or has no host, and
    ///   ``/MessageBus/MessageBusError/Code/invalidConfiguration`` for a query key that is neither an option nor a
    ///   librdkafka property, or a value out of range.
    public init(url: MessageBusURL) throws {
        guard url.scheme == "kafka" else {
            throw MessageBusError(.invalidURL, "'\(url)' is not a kafka:// URL")
        }
        guard !url.hosts.isEmpty else {
            throw MessageBusError(.invalidURL, "'\(url)' names no broker: expected kafka://host:port[,host:port]")
        }
        try self.init(url: url, bootstrapServers: url.hosts.map { "\($0.description.split(separator: ":").count > 1 && $0.port == nil ? "[\($0.name)]" : $0.name):\($0.port ?? 9092)" })
    }

    /// Maps a URL's user, password and query onto a configuration for the given bootstrap servers.
    init(url: MessageBusURL, bootstrapServers: [String]) throws {
        self.init(bootstrapServers: bootstrapServers)
        var tls: KafkaSecurity.TLS?
        var mechanism: KafkaSASLMechanism?
        for item in url.queryItems {
            switch item.name {
            case "partitions":
                self.topicPartitions = try Self.integer(item)
            case "replication":
                self.topicReplicationFactor = try Self.integer(item)
            case "createTopics":
                self.createTopics = try Self.boolean(item)
            case "groupPrefix":
                switch self.groupNaming {
                case .scopedByDestination: self.groupNaming = .scopedByDestination(prefix: item.value)
                case .verbatim: self.groupNaming = .verbatim(prefix: item.value)
                }
            case "groupNaming":
                let prefix: String
                switch self.groupNaming {
                case .scopedByDestination(let value), .verbatim(let value): prefix = value
                }
                switch item.value {
                case "scoped": self.groupNaming = .scopedByDestination(prefix: prefix)
                case "verbatim": self.groupNaming = .verbatim(prefix: prefix)
                default:
                    throw MessageBusError.invalidConfiguration(key: item.name, value: item.value, expected: "scoped or verbatim")
                }
            case "tls":
                tls = try Self.boolean(item) ? (tls ?? KafkaSecurity.TLS()) : nil
            case "tlsCA":
                tls = tls ?? KafkaSecurity.TLS()
                tls?.caLocation = item.value
            case "saslMechanism":
                guard let value = KafkaSASLMechanism(rawValue: item.value.uppercased()) else {
                    throw MessageBusError.invalidConfiguration(
                        key: item.name, value: item.value, expected: "PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER")
                }
                mechanism = value
            case "brokers":
                guard url.scheme == "kafka-mock" else {
                    throw MessageBusError(.invalidConfiguration, "'brokers' is an option of kafka-mock:// URLs only, not of '\(url)'")
                }
            default:
                guard RDKafkaConfig.isKnownProperty(item.name) else {
                    let known = Self.urlOptions.sorted().joined(separator: ", ")
                    throw MessageBusError(
                        .invalidConfiguration,
                        "unknown option '\(item.name)' in \(url): neither a MessageBus option (\(known)) nor a "
                            + "librdkafka property")
                }
                self.additionalProperties[item.name] = item.value
            }
        }
        self.security.tls = tls
        if url.user != nil || mechanism != nil {
            self.security.sasl = KafkaSecurity.SASL(
                mechanism: mechanism ?? .plain, username: url.user, password: url.password)
        }
    }

    private static func integer(_ item: MessageBusURL.QueryItem) throws -> Int {
        guard let value = Int(item.value) else {
            throw MessageBusError.invalidConfiguration(key: item.name, value: item.value, expected: "an integer")
        }
        return value
    }

    private static func boolean(_ item: MessageBusURL.QueryItem) throws -> Bool {
        switch item.value.lowercased() {
        case "true", "1", "yes", "": return true
        case "false", "0", "no": return false
        default: throw MessageBusError.invalidConfiguration(key: item.name, value: item.value, expected: "true or false")
        }
    }
}
