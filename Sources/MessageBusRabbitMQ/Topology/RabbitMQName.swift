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

    /// The longest queue or exchange name AMQP carries (a short string).
    static let maxLength = 255

    /// The durable queue of subscriber group `group` on `destination`: `<destination>.<group>`, shortened with a
    /// hash to AMQP's 255 bytes (each part may have 200).
    static func groupQueue(destination: String, group: String) -> String {
        DestinationName.fitting("\(destination).\(group)", maxLength: Self.maxLength)
    }

    /// A broadcast subscriber's own queue, named by the client (a server-named queue would get a new name on
    /// every connection recovery, and redeliveries are published to it by name).
    static func broadcastQueue(destination: String) -> String {
        DestinationName.fitting("\(destination).broadcast-\(Message.generateID().lowercased())", maxLength: Self.maxLength)
    }
}
