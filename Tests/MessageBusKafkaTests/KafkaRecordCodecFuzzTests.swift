import Foundation
import MessageBus
import MessageBusIntegrationSupport
@testable import MessageBusKafka
import Testing

/// Seeded random consumed records (any producer can write any header, key and value) through
/// `KafkaRecordCodec.decode`: it never crashes and returns what a simple model of its rules predicts, also for the
/// headers it owns carrying garbage. MESSAGEBUS_FUZZ_SEED replays a failure or explores other inputs.
@Suite("Kafka record codec: seeded random records")
struct KafkaRecordCodecFuzzTests {
    /// The header names the codec reads, near misses of them, and ordinary names.
    static let names = Array(KafkaRecordCodec.ownedHeaders) + [
        "ce_i", "ce_idx", "CE_ID", "messagebus-attempt ", "messagebus-retry", "ce_time\u{0}", "", "a", "x-trace",
        "grüße", "🚀", "traceparent",
    ]
    /// Values that are close to what the owned headers expect, and garbage.
    static let values: [[UInt8]] = [
        "", "0", "1", "7", "-1", "+3", "00000000000000000042", "999999999999999999", "9999999999999999999",
        "1e3", " 2", "2026-11-25T13:24:05.123Z", "2026-13-45T25:61:99.999Z", "0000-01-01T00:00:00.000Z",
        "2026-11-25T13:24:05Z", "2026-11-25T13:24:05.123+02:00", "not a time", "text/plain", "order-42",
    ].map { Array($0.utf8) } + [[0xFF, 0xFE], [0xC3], [0, 0, 0], [0xE2, 0x82]]

    @Test("random headers, keys and values decode to what the codec's rules say, without a crash")
    func randomRecords() async throws {
        let seed = fuzzSeed()
        var random = SeededRandom(seed: seed)
        for index in 0..<5_000 {
            await yieldEvery100(index)
            let record = Self.randomRecord(&random)
            let context = Comment(rawValue: "seed \(seed), case \(index): \(record.headers.map(\.name))")
            let decoded = KafkaRecordCodec.decode(record)
            let expected = DecodingModel(record)
            #expect(decoded.message.payload == record.value, context)
            #expect(decoded.message.key == record.key.map { String(decoding: $0, as: UTF8.self) }, context)
            #expect(decoded.message.id == expected.id, context)
            #expect(decoded.message.contentType == expected.contentType, context)
            #expect(decoded.message.correlationID == expected.correlationID, context)
            #expect(decoded.attempt == expected.attempt, context)
            #expect(decoded.attempt >= 1, context)
            #expect(decoded.retry == expected.retry, context)
            #expect(Array(decoded.message.headers) == expected.headers, context)
            #expect(decoded.message.timestamp == expected.timestamp, context)
        }
    }

    /// Years from 1583 only: before the Gregorian reform of October 1582 Foundation's parser reads dates in the Julian
    /// calendar (days apart), while RFC 3339 and the fast reader use the proleptic Gregorian one.
    @Test("random well-formed ce_time values agree with Foundation's RFC 3339 parser")
    func randomTimes() async throws {
        let seed = fuzzSeed()
        var random = SeededRandom(seed: seed)
        let foundation = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        for index in 0..<2_000 {
            await yieldEvery100(index)
            let text = String(
                format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int.random(in: 1583...9999, using: &random),
                Int.random(in: 1...12, using: &random), Int.random(in: 1...28, using: &random),
                Int.random(in: 0...23, using: &random), Int.random(in: 0...59, using: &random),
                Int.random(in: 0...59, using: &random), Int.random(in: 0...999, using: &random))
            let parsed = try #require(RFC3339Time.parse(text), "seed \(seed), case \(index): \(text)")
            let reference = try foundation.parse(text)
            #expect(
                abs(parsed.timeIntervalSince1970 - reference.timeIntervalSince1970) < 0.0005,
                "seed \(seed), case \(index): \(text) read as \(parsed), Foundation says \(reference)")
        }
    }

    static func randomRecord(_ random: inout SeededRandom) -> InMemoryKafkaRecord {
        let alphabet = Array("abcé✓-_.:/ 0129\u{0}")
        let headers = (0..<Int.random(in: 0...8, using: &random)).map { _ -> (name: String, value: [UInt8]) in
            let name = random.next() % 5 == 0 ? random.string(from: alphabet, maxLength: 12) : random.pick(Self.names)
            let value = random.next() % 3 == 0 ? random.bytes(maxLength: 40) : random.pick(Self.values)
            return (name, value)
        }
        return InMemoryKafkaRecord(
            topic: random.pick(["orders", "t", "a.b-c"]), partition: Int32.random(in: 0...64, using: &random),
            offset: Int64.random(in: 0...Int64.max, using: &random),
            key: random.next() % 3 == 0 ? nil : random.bytes(maxLength: 24), value: random.bytes(maxLength: 256),
            headers: headers,
            timestampMilliseconds: random.next() % 4 == 0 ? nil : Int64.random(in: 0...4_000_000_000_000, using: &random))
    }
}

/// What ``KafkaRecordCodec/decode(_:)`` should return for a record, by its documented rules written plainly: the
/// last of each owned header wins, the rest stay in order, a missing id is `topic-partition-offset`, an attempt is a
/// plain decimal of at most 18 digits (else 1), and a `ce_time` (when present) replaces the record's timestamp.
private struct DecodingModel {
    var id: String
    var contentType: String?
    var correlationID: String?
    var attempt = 1
    var retry: KafkaRetryRouting?
    var headers: [MessageHeader] = []
    var timestamp: Date?

    init(_ record: InMemoryKafkaRecord) {
        func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
        func decimal(_ bytes: [UInt8]) -> Int? {
            guard (1...18).contains(bytes.count), bytes.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
            return Int(text(bytes))
        }
        var id: String?
        var time: Date??
        for (name, value) in record.headers {
            switch name {
            case WellKnownHeader.id: id = text(value)
            case WellKnownHeader.contentType: self.contentType = text(value)
            case WellKnownHeader.correlationID: self.correlationID = text(value)
            case WellKnownHeader.time: time = .some(value.withUnsafeBytes { RFC3339Time.parse($0) })
            case KafkaRecordCodec.attemptHeader: self.attempt = max(1, decimal(value) ?? 1)
            case KafkaRecordCodec.retryGroupHeader:
                self.retry = self.retry ?? KafkaRetryRouting()
                self.retry?.group = text(value)
            case KafkaRecordCodec.retrySourceHeader:
                self.retry = self.retry ?? KafkaRetryRouting()
                self.retry?.source = text(value)
            case KafkaRecordCodec.retryAtHeader:
                self.retry = self.retry ?? KafkaRetryRouting()
                self.retry?.dueMilliseconds = decimal(value).map(Int64.init)
            default: self.headers.append(MessageHeader(name: name, value: value))
            }
        }
        self.id = id ?? "\(record.topic)-\(record.partition)-\(record.offset)"
        let recordTime = record.timestampMilliseconds.map { Date(timeIntervalSince1970: Double($0) / 1000) }
        self.timestamp = (time ?? nil) ?? recordTime
    }
}
