public import MessageBus

extension MessageBusBackend {
    /// The RabbitMQ backend, for `amqp://` and `amqps://` URLs; see ``RabbitMQMessageBus``.
    public static let rabbitMQ = MessageBusBackend(name: "rabbitmq", schemes: ["amqp", "amqps"]) {
        url, configuration, logger in
        try await RabbitMQMessageBus(url: url, configuration: configuration, logger: logger)
    }
}
