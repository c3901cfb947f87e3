import Foundation
import MessageBus

/// Maps a ``Message`` onto a Kafka record and back.
///
/// The message properties Kafka has no field for travel as CloudEvents headers (binary mode): the id as
/// ``WellKnownHeader/id`` (`ce_id`), the content type as ``WellKnownHeader/contentType`` and the correlation id as
/// ``WellKnownHeader/correlationID``. The time is the record's create timestamp, which has the same millisecond
/// precision as CloudEvents' optional ``WellKnownHeader/time`` (`ce_time`): that header is read when another
/// producer sent it, but not written, since formatting and parsing it for every record cost more than the rest of
/// the encoding, except on a record that publishes a consumed message again (see `encode`'s `republishedAt`). The
/// delivery attempt of a requeued message travels in ``attemptHeader``. On consume these headers
/// are read back into the message and removed from its headers.
enum KafkaRecordCodec {
    /// The header that carries the delivery attempt of a requeued record (absent on the first attempt).
    static let attemptHeader = WellKnownHeader.attempt
    /// On a retry record: the consumer group it is for. Every other group skips it, so a requeue reaches only the
    /// group that asked for it even where the retry record shares a topic with other groups.
    static let retryGroupHeader = "messagebus-retry-group"
    /// On a retry record: the topic the message was first consumed from, which its redelivery reports as its
    /// destination.
    static let retrySourceHeader = "messagebus-retry-source"
    /// On a retry record: when it may be delivered, in milliseconds since 1970 (absent: at once).
    static let retryAtHeader = "messagebus-retry-at"

    /// The headers the codec owns, stripped from a consumed message's headers.
    static let ownedHeaders: Set<String> = [
        WellKnownHeader.id, WellKnownHeader.contentType, WellKnownHeader.correlationID, WellKnownHeader.time,
        attemptHeader, retryGroupHeader, retrySourceHeader, retryAtHeader,
    ]

    /// What a consumed record says about itself beyond its message.
    struct Decoded {
        /// The message.
        var message: Message
        /// The delivery attempt: 1 unless the record is a redelivery.
        var attempt: Int
        /// Set on a retry record: who it is for, where it came from and when it is due.
        var retry: KafkaRetryRouting?
    }

    /// What ``decode(_:into:)`` reads from a record: where its message is, and what the consumer acts on.
    struct DecodedFields {
        /// Where the message's properties are in the bytes the record was decoded into.
        var fields: KafkaRecordFields
        /// The delivery attempt: 1 unless the record is a redelivery.
        var attempt: Int
        /// Set on a retry record: who it is for, where it came from and when it is due.
        var retry: KafkaRetryRouting?
    }

    /// The record for `message`.
    ///
    /// - Parameters:
    ///   - message: The message.
    ///   - partition: An explicit partition (for keyless messages of one batch, which stay together).
    ///   - attempt: The delivery attempt to record, when above 1 (a requeue).
    ///   - extraHeaders: Headers appended after the message's own (dead-letter information).
    ///   - republishedAt: For a record that publishes a consumed message again (a retry, a dead letter): the time
    ///     of that, as the record timestamp, so that the topic's time-based retention counts from it rather than
    ///     from the message's first publication; the message's own time then travels in `ce_time`, which decoding
    ///     prefers.
    static func encode(
        _ message: Message, partition: Int32? = nil, attempt: Int? = nil, extraHeaders: [(String, String)] = [],
        republishedAt: Date? = nil
    ) -> KafkaOutgoingRecord {
        var headers: [(name: String, value: [UInt8])] = []
        for header in message.headers where !ownedHeaders.contains(header.name) {
            headers.append((header.name, header.value))
        }
        if let contentType = message.contentType { headers.append((WellKnownHeader.contentType, Array(contentType.utf8))) }
        if let correlationID = message.correlationID {
            headers.append((WellKnownHeader.correlationID, Array(correlationID.utf8)))
        }
        if let attempt, attempt > 1 { headers.append((attemptHeader, Array(String(attempt).utf8))) }
        for (name, value) in extraHeaders { headers.append((name, Array(value.utf8))) }
        var time = message.timestamp
        if let republishedAt {
            if let original = message.timestamp {
                headers.append((WellKnownHeader.time, Array(RFC3339Time.format(original).utf8)))
            }
            time = republishedAt
        }
        return KafkaOutgoingRecord(
            key: message.key.map { Array($0.utf8) },
            value: message.payload,
            messageID: message.identifier,
            headers: headers,
            timestampMilliseconds: time.map { Int64(($0.timeIntervalSince1970 * 1000).rounded(.down)) },
            partition: partition)
    }

    /// The message a consumed record carries, its delivery attempt (1 unless the record is a redelivery) and, on a
    /// retry record, its routing.
    static func decode(_ record: some KafkaConsumedRecord) -> Decoded {
        var bytes = KafkaRecordBytes.Builder()
        bytes.reserve(256)
        let decoded = Self.decode(record, into: &bytes)
        let message = decoded.fields.message(
            in: bytes.finish(), topic: record.topic, partition: record.partition, offset: record.offset)
        return Decoded(message: message, attempt: decoded.attempt, retry: decoded.retry)
    }

    /// Copies what a consumed record's message is made of into `bytes` and returns where it is, with the record's
    /// delivery attempt and, on a retry record, its routing.
    ///
    /// Runs for every consumed record on the consumer thread, so it allocates nothing per record (unless the
    /// record carries headers of the application's own): the owned headers are recognised by their bytes, numbers
    /// and times read in place, and strings are made later, by ``KafkaRecordFields/message(in:)``.
    static func decode(_ record: some KafkaConsumedRecord, into bytes: inout KafkaRecordBytes.Builder) -> DecodedFields {
        var fields = KafkaRecordFields(
            payload: record.withValue { bytes.append($0) },
            key: record.withKey { $0.map { bytes.append($0) } })
        var time: Date?
        var attempt = 1
        var retry: KafkaRetryRouting?
        record.forEachHeader { name, value in
            switch OwnedHeader(name) {
            case .id: fields.id = bytes.append(value)
            case .contentType: fields.contentType = bytes.append(value)
            case .correlationID: fields.correlationID = bytes.append(value)
            case .time: time = RFC3339Time.parse(value)
            case .attempt: attempt = max(1, Self.decimal(value) ?? 1)
            case .retryGroup: retry = retry ?? KafkaRetryRouting(); retry?.group = String(decoding: value, as: UTF8.self)
            case .retrySource: retry = retry ?? KafkaRetryRouting(); retry?.source = String(decoding: value, as: UTF8.self)
            case .retryAt:
                retry = retry ?? KafkaRetryRouting()
                retry?.dueMilliseconds = Self.decimal(value).map(Int64.init)
            case nil:
                let index = bytes.appendHeader(name: name, value: value)
                fields.headers = fields.headers.isEmpty ? index..<index + 1 : fields.headers.lowerBound..<index + 1
            }
        }
        fields.timestamp = time ?? record.timestampMilliseconds.map { Date(timeIntervalSince1970: Double($0) / 1000) }
        return DecodedFields(fields: fields, attempt: attempt, retry: retry)
    }

    /// The headers the codec reads back into message properties, recognised by their bytes.
    private enum OwnedHeader {
        case id, contentType, correlationID, time, attempt, retryGroup, retrySource, retryAt

        private static let names: [(OwnedHeader, [UInt8])] = [
            (.id, Array(WellKnownHeader.id.utf8)), (.contentType, Array(WellKnownHeader.contentType.utf8)),
            (.correlationID, Array(WellKnownHeader.correlationID.utf8)), (.time, Array(WellKnownHeader.time.utf8)),
            (.attempt, Array(KafkaRecordCodec.attemptHeader.utf8)),
            (.retryGroup, Array(KafkaRecordCodec.retryGroupHeader.utf8)),
            (.retrySource, Array(KafkaRecordCodec.retrySourceHeader.utf8)),
            (.retryAt, Array(KafkaRecordCodec.retryAtHeader.utf8)),
        ]

        init?(_ name: UnsafeRawBufferPointer) {
            for (header, bytes) in Self.names where bytes.count == name.count && bytes.elementsEqual(name) {
                self = header
                return
            }
            return nil
        }
    }

    /// A non-negative decimal number, or `nil` when `bytes` is not one (or overflows).
    private static func decimal(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var value = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }
}
