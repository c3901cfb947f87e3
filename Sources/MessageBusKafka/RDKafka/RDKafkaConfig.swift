internal import CMessageBusRdKafka
import MessageBus

/// A librdkafka configuration (`rd_kafka_conf_t`) being filled in, until ``RDKafkaClient`` hands it to
/// `rd_kafka_new`, which takes ownership of it.
final class RDKafkaConfig {
    private(set) var pointer: OpaquePointer?

    /// Creates a configuration with `properties` set in order.
    ///
    /// - Throws: ``MessageBusError/Code/invalidConfiguration`` naming the first property librdkafka refuses and
    ///   the value (redacted for secret properties), with librdkafka's own explanation.
    init(properties: [(name: String, value: String)]) throws(MessageBusError) {
        guard let pointer = rd_kafka_conf_new() else {
            throw MessageBusError(.brokerError, "librdkafka could not allocate a configuration (rd_kafka_conf_new)")
        }
        self.pointer = pointer
        for property in properties {
            try self.set(property.name, property.value)
        }
    }

    deinit {
        if let pointer { rd_kafka_conf_destroy(pointer) }
    }

    /// Sets one property.
    func set(_ name: String, _ value: String) throws(MessageBusError) {
        guard let pointer else { return }
        var errorText = [CChar](repeating: 0, count: 512)
        let result = rd_kafka_conf_set(pointer, name, value, &errorText, errorText.count)
        guard result == RD_KAFKA_CONF_OK else {
            let reason = errorText.nulTerminatedString
            let shown = Self.isSecret(name) ? "***" : value
            let kind = result == RD_KAFKA_CONF_UNKNOWN ? "unknown librdkafka property" : "invalid value"
            throw MessageBusError(
                .invalidConfiguration,
                "\(kind) '\(name)' = '\(shown)': \(reason.isEmpty ? "refused by rd_kafka_conf_set" : reason)")
        }
    }

    /// Gives up ownership: `rd_kafka_new` now owns the configuration (it destroys it on success).
    func release() -> OpaquePointer? {
        defer { self.pointer = nil }
        return self.pointer
    }

    /// Whether the value of librdkafka property `name` is a secret that must never appear in a log line or an error.
    static func isSecret(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return ["password", "secret", "ssl.key.pem", "ssl_key", "sasl.oauthbearer.config", "token", "keystore"]
            .contains { lowered.contains($0) }
    }

    /// Checks that librdkafka accepts every property, without creating a client.
    static func validate(_ properties: [(name: String, value: String)]) throws(MessageBusError) {
        _ = try RDKafkaConfig(properties: properties)
    }

    /// Whether librdkafka knows a property called `name` (its value is not checked).
    static func isKnownProperty(_ name: String) -> Bool {
        var size = 0
        if let pointer = rd_kafka_conf_new() {
            defer { rd_kafka_conf_destroy(pointer) }
            if rd_kafka_conf_get(pointer, name, nil, &size) == RD_KAFKA_CONF_OK { return true }
        }
        // Topic-level properties (acks, compression.codec, ...) are set on the global configuration too, which
        // hands them to the default topic configuration, but only the topic configuration knows their names.
        guard let topicPointer = rd_kafka_topic_conf_new() else { return false }
        defer { rd_kafka_topic_conf_destroy(topicPointer) }
        return rd_kafka_topic_conf_get(topicPointer, name, nil, &size) == RD_KAFKA_CONF_OK
    }
}
