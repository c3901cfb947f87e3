/// One RabbitMQ node to connect to: a host name or address and its AMQP port.
public struct RabbitMQEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// The host name or address.
    public var host: String
    /// The AMQP port: 5672 for `amqp://`, 5671 for `amqps://` by default.
    public var port: Int

    /// Creates an endpoint.
    ///
    /// - Parameters:
    ///   - host: The host name or address.
    ///   - port: The AMQP port.
    public init(host: String, port: Int = 5672) {
        self.host = host
        self.port = port
    }

    /// `host:port`, with IPv6 addresses in brackets.
    public var description: String {
        let shown = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "\(shown):\(self.port)"
    }
}
