import MessageBus

/// The rule AMQP sets for exchange and queue names: short strings, at most 255 bytes of UTF-8.
enum RabbitMQName {
    static func validate(_ name: String, role: String, allowEmpty: Bool = false) throws {
        guard (allowEmpty || !name.isEmpty) && name.utf8.count <= 255 else {
            throw MessageBusError.invalidConfiguration(
                key: role, value: name.isEmpty ? "(empty)" : "\(name.prefix(40))... (\(name.utf8.count) bytes)",
                expected: "1 to 255 bytes of UTF-8 (an AMQP short string)")
        }
    }
}
