import CMessageBusRdKafka
import Foundation

/// The librdkafka configuration of the raw C and Python baselines: the properties MessageBus's Kafka backend
/// sets with its default `KafkaConfiguration` (see `KafkaConfiguration+Properties.swift`), so that every client
/// asks the broker for the same work while MessageBus runs with a plain `kafka://host:port` URL.
///
/// Differences that remain, on purpose: `client.id` (names only); MessageBus's producer also sets
/// `allow.auto.create.topics=false` (the topics here exist before anyone produces); and the Python client is
/// confluent-kafka's bundled librdkafka 2.16 while the raw C client and MessageBus use the system's librdkafka.
enum RawKafkaSettings {
    /// Shared by producers and consumers: MessageBus's 4 MiB record limit and its fetch-size allowance.
    private static let common = ["message.max.bytes": "4194304", "receive.message.max.bytes": "100000000"]

    /// `KafkaConfiguration` defaults: idempotent `acks=all`, no compression, 5 ms linger, and the bus's 30 s
    /// publish timeout as the message timeout.
    static let producer = common.merging([
        "acks": "all", "enable.idempotence": "true", "compression.codec": "none", "linger.ms": "5",
        "message.timeout.ms": "30000", "allow.auto.create.topics": "false",
    ]) { $1 }

    /// `KafkaConfiguration` defaults: offsets stored once a record is processed (acknowledged) and committed by
    /// librdkafka every second, `read_committed`, eager assignment, a 6 s session with 500 ms heartbeats, and
    /// the short fetch wait and fetch backoff the backend uses (Tansu holds a fetch for `fetch.wait.max.ms`).
    static let consumer = common.merging([
        "auto.offset.reset": "earliest", "enable.auto.commit": "true", "enable.auto.offset.store": "false",
        "auto.commit.interval.ms": "1000", "isolation.level": "read_committed",
        "partition.assignment.strategy": "range,roundrobin", "session.timeout.ms": "6000",
        "heartbeat.interval.ms": "500", "max.poll.interval.ms": "25000", "fetch.wait.max.ms": "10",
        "fetch.min.bytes": "1", "fetch.queue.backoff.ms": "10",
    ]) { $1 }

    /// The settings as JSON, for the Python client.
    static func json(_ settings: [String: String]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: settings, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// A librdkafka configuration object with `settings`.
    static func configuration(_ settings: [String: String]) throws -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else { throw BenchError("rd_kafka_conf_new failed") }
        var errorText = [CChar](repeating: 0, count: 512)
        for (name, value) in settings where rd_kafka_conf_set(conf, name, value, &errorText, errorText.count) != RD_KAFKA_CONF_OK {
            rd_kafka_conf_destroy(conf)
            throw BenchError("\(name)=\(value): \(Self.text(errorText))")
        }
        return conf
    }

    /// A librdkafka client of `type` from a configuration object (which it takes over).
    static func client(_ type: rd_kafka_type_t, _ conf: OpaquePointer) throws -> OpaquePointer {
        var errorText = [CChar](repeating: 0, count: 512)
        guard let client = rd_kafka_new(type, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            throw BenchError("rd_kafka_new: \(Self.text(errorText))")
        }
        return client
    }

    /// librdkafka's error text from the buffer it filled.
    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func describe(_ code: rd_kafka_resp_err_t) -> String {
        String(cString: rd_kafka_err2str(code))
    }
}
