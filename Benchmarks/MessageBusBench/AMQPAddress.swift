import MessageBus

/// Where the RabbitMQ broker is, as every client of a RabbitMQ case needs it: the MessageBus URL (with the group
/// queue type as a query option), rabbitmq-c's connection parameters, and the plain URL pika reads.
struct AMQPAddress: Sendable {
    let url: String
    let host: String
    let port: Int32
    let user: String
    let password: String
    let virtualHost: String

    /// Reads `amqp://user:password@host:port/vhost` (the query, if any, is kept for MessageBus only).
    init(url: String) throws {
        let parsed = try MessageBusURL(url)
        guard let host = parsed.hosts.first else { throw BenchError("no host in \(parsed)") }
        self.url = url
        self.host = host.name
        self.port = Int32(host.port ?? 5672)
        self.user = parsed.user ?? "guest"
        self.password = parsed.password ?? "guest"
        self.virtualHost = parsed.hasPath ? parsed.path : "/"
    }

    /// The MessageBus URL whose subscriber groups get queues of `queueType` (`quorum` or `classic`).
    func busURL(queueType: String) -> String {
        "\(self.url)\(self.url.contains("?") ? "&" : "?")queue_type=\(queueType)"
    }

    /// The URL without MessageBus's query options, for pika.
    var plainURL: String {
        String(self.url.prefix { $0 != "?" })
    }
}
