import Foundation
import MessageBus
import MessageBusIntegrationSupport
@testable import MessageBusKafka
import Testing

/// Messages become records with CloudEvents headers and come back unchanged.
@Suite("Kafka record codec")
struct KafkaRecordCodecTests {
    @Test("other RFC 3339 forms are still read")
    func otherForms() {
        #expect(RFC3339Time.parse("2026-11-25T13:24:05Z") != nil)
        #expect(RFC3339Time.parse("not a time") == nil)
    }

    @Test("a message survives encode and decode, its CloudEvents headers stripped")
    func roundTrip() {
        let sent = Message(
            payload: [1, 2, 3], key: "k", headers: ["a": "1", "ce_id": "spoofed"], id: "id-1",
            timestamp: Date(timeIntervalSince1970: 1_700_000_000.25), contentType: "text/plain", correlationID: "c")
        let record = KafkaRecordCodec.encode(sent, attempt: 3)
        let incoming = InMemoryKafkaRecord(
            topic: "t", partition: 0, offset: 7, key: record.key, value: record.value,
            headers: [("ce_id", Array((record.messageID?.text ?? "").utf8))] + record.headers,
            timestampMilliseconds: record.timestampMilliseconds)
        let decoded = KafkaRecordCodec.decode(incoming)
        let (received, attempt) = (decoded.message, decoded.attempt)
        #expect(attempt == 3)
        #expect(received.id == "id-1")
        #expect(received.key == "k")
        #expect(received.payload == [1, 2, 3])
        #expect(received.contentType == "text/plain")
        #expect(received.correlationID == "c")
        #expect(received.timestamp == sent.timestamp)
        #expect(Array(received.headers) == [MessageHeader(name: "a", value: "1")])
        // The time travels as the record timestamp, not as a ce_time header.
        #expect(!record.headers.contains { $0.name == "ce_time" })
    }

    @Test("a message published again carries the republication's time as record timestamp and keeps its own")
    func republishedRecordKeepsTheMessageTime() throws {
        let firstPublished = Date(timeIntervalSince1970: 1_600_000_000.123)
        let sent = Message(payload: [1], id: "id-1", timestamp: firstPublished)
        let now = Date(timeIntervalSince1970: 1_800_000_000.456)
        let record = KafkaRecordCodec.encode(sent, attempt: 2, republishedAt: now)
        // Retention counts from the republication: a retry or dead letter of an old message is not deleted at once.
        #expect(record.timestampMilliseconds == 1_800_000_000_456)
        let incoming = InMemoryKafkaRecord(
            topic: "t.g.retry", partition: 0, offset: 0, key: nil, value: record.value,
            headers: [("ce_id", Array((record.messageID?.text ?? "").utf8))] + record.headers,
            timestampMilliseconds: record.timestampMilliseconds)
        let received = KafkaRecordCodec.decode(incoming).message
        let time = try #require(received.timestamp)
        #expect(abs(time.timeIntervalSince1970 - firstPublished.timeIntervalSince1970) < 0.0005, "\(time)")
        #expect(received.headers.isEmpty, "ce_time is the codec's, not the message's: \(Array(received.headers))")
    }

    @Test("times are written as RFC 3339 with milliseconds and read back to the same millisecond")
    func formatRoundTrip() async throws {
        #expect(RFC3339Time.format(Date(timeIntervalSince1970: 1_600_000_000.123)) == "2020-09-13T12:26:40.123Z")
        #expect(RFC3339Time.format(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00.000Z")
        #expect(RFC3339Time.format(Date(timeIntervalSince1970: -0.001)) == "1969-12-31T23:59:59.999Z")
        var random = SeededRandom(seed: fuzzSeed())
        for index in 0..<2_000 {
            await yieldEvery100(index)
            // From 1583 (the first whole Gregorian year) to 9999.
            let milliseconds = Int64.random(in: -12_212_553_600_000...253_402_300_799_999, using: &random)
            let text = RFC3339Time.format(Date(timeIntervalSince1970: Double(milliseconds) / 1000))
            let parsed = try #require(RFC3339Time.parse(text), "\(milliseconds) -> \(text)")
            #expect(Int64((parsed.timeIntervalSince1970 * 1000).rounded()) == milliseconds, "\(milliseconds) -> \(text)")
        }
    }

    @Test("a retry record's routing survives encode and decode, its headers stripped from the message")
    func retryRouting() {
        let routing = KafkaRetryRouting(group: "orders.billing", source: "orders", dueMilliseconds: 1_800_000_000_123)
        let record = KafkaRecordCodec.encode(Message(text: "x", headers: ["a": "1"]), attempt: 2, extraHeaders: routing.headers)
        let incoming = InMemoryKafkaRecord(
            topic: "orders.billing.retry", partition: 0, offset: 3, key: nil, value: record.value,
            headers: record.headers, timestampMilliseconds: 1)
        let decoded = KafkaRecordCodec.decode(incoming)
        #expect(decoded.retry == routing)
        #expect(decoded.attempt == 2)
        #expect(Array(decoded.message.headers) == [MessageHeader(name: "a", value: "1")])
        #expect(KafkaRecordCodec.decode(InMemoryKafkaRecord(
            topic: "t", partition: 0, offset: 1, key: nil, value: [], headers: [], timestampMilliseconds: 1)).retry == nil)
    }

    @Test("a ce_time header from another producer gives the time")
    func timeHeaderIsRead() {
        let incoming = InMemoryKafkaRecord(
            topic: "t", partition: 0, offset: 1, key: nil, value: [],
            headers: [("ce_id", Array("x".utf8)), ("ce_time", Array("2026-11-25T13:24:05.123Z".utf8))],
            timestampMilliseconds: 5)
        let received = KafkaRecordCodec.decode(incoming).message
        #expect(received.timestamp.map { abs($0.timeIntervalSince1970 - 1_795_613_045.123) < 0.0005 } == true)
        #expect(received.headers.isEmpty)
    }

    @Test("a record without the CloudEvents headers gets its id from its position and its time from the record")
    func foreignRecord() {
        let incoming = InMemoryKafkaRecord(
            topic: "t", partition: 2, offset: 9, key: nil, value: [], headers: [("x", [0xFF]), ("messagebus-attempt", Array("x".utf8))],
            timestampMilliseconds: 1_700_000_000_250)
        let decoded = KafkaRecordCodec.decode(incoming)
        let (received, attempt) = (decoded.message, decoded.attempt)
        #expect(attempt == 1)
        #expect(received.id == "t-2-9")
        #expect(received.key == nil)
        #expect(received.payload.isEmpty)
        #expect(received.timestamp == Date(timeIntervalSince1970: 1_700_000_000.25))
        #expect(Array(received.headers) == [MessageHeader(name: "x", value: [0xFF])])
    }

    @Test("the fast RFC 3339 reader agrees with Foundation's", arguments: [
        "2026-11-25T13:24:05.123Z", "2000-02-29T00:00:00.000Z", "1969-12-31T23:59:59.999Z", "2100-03-01T12:00:00.500Z",
    ])
    func fastParseAgreesWithFoundation(text: String) throws {
        let expected = try Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
        let parsed = try #require(RFC3339Time.parse(text))
        // Equal to the millisecond (the two sum seconds and fractions in different orders).
        #expect(abs(parsed.timeIntervalSince1970 - expected.timeIntervalSince1970) < 0.0005, "\(parsed) vs \(expected)")
    }
}
