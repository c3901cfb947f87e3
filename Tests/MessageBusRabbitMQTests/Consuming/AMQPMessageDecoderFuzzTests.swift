import CMessageBusRabbitMQ
import Foundation
import MessageBus
import MessageBusIntegrationSupport
@testable import MessageBusRabbitMQ
import Testing

/// Seeded random AMQP content headers (any client can publish any property and header table) through rabbitmq-c's
/// own wire decoder and then `AMQPMessageDecoder`, as the owner thread reads every delivery: random properties and
/// header tables of every field kind, including the headers the backend reads itself (`x-delivery-count`,
/// `x-stream-offset`, `timestamp_in_ms`) with values of the wrong kind, come back as a simple model of the decoder's
/// rules predicts; mangled and random bytes that rabbitmq-c still accepts never crash it. MESSAGEBUS_FUZZ_SEED
/// replays a failure or explores other inputs.
@Suite("AMQP message decoder: seeded random content headers")
struct AMQPMessageDecoderFuzzTests {
    static let ownedNames = [AMQPHeaderName.deliveryCount, AMQPHeaderName.streamOffset, AMQPHeaderName.timestampInMilliseconds]

    @Test("random properties and header tables decode to what the decoder's rules say")
    func randomProperties() async throws {
        let seed = fuzzSeed()
        var random = SeededRandom(seed: seed)
        for index in 0..<3_000 {
            await yieldEvery100(index)
            let model = RandomProperties(&random)
            let encoded = try #require(model.encoded(), "seed \(seed), case \(index): rabbitmq-c refused to encode")
            let context = Comment(rawValue: "seed \(seed), case \(index): \(encoded.count) bytes")
            let status = Self.decoded(encoded) { decoded in
                #expect(decoded.id?.text == model.messageID.map(Self.text), context)
                #expect(decoded.contentType == model.contentType.map(Self.text), context)
                #expect(decoded.correlationID == model.correlationID.map(Self.text), context)
                #expect(decoded.extra == model.expectedExtra, context)
                #expect(decoded.deliveryCount == model.expectedDeliveryCount, context)
                #expect(decoded.streamOffset == model.expectedStreamOffset, context)
                #expect(decoded.timestamp == model.expectedTimestamp, context)
                #expect(Array(decoded.headers) == model.expectedHeaders, context)
            }
            #expect(status == 0, context)
        }
    }

    @Test("mangled and random content headers are refused by rabbitmq-c or decoded without a crash")
    func mangledBytes() async throws {
        let seed = fuzzSeed()
        var random = SeededRandom(seed: seed)
        var accepted = 0
        for index in 0..<5_000 {
            await yieldEvery100(index)
            var bytes: [UInt8]
            if random.next() % 4 == 0 {
                // Only the property flags are plausible; everything after them is noise.
                bytes = [UInt8.random(in: 0...255, using: &random), 0xFC & UInt8.random(in: 0...255, using: &random)]
                bytes += random.bytes(maxLength: 200)
            } else {
                bytes = try #require(RandomProperties(&random).encoded(), "seed \(seed), case \(index)")
                for _ in 0..<Int.random(in: 1...4, using: &random) { Self.mangle(&bytes, &random) }
            }
            let status = Self.decoded(bytes) { decoded in
                accepted += 1
                // What it reads is bounded by what it was given.
                #expect(decoded.headers.count <= bytes.count, "seed \(seed), case \(index)")
            }
            #expect(status <= 0, "seed \(seed), case \(index)")
        }
        #expect(accepted > 100, "rabbitmq-c accepted only \(accepted) of the mangled headers")
    }

    /// Decodes `bytes` with rabbitmq-c as a `basic` content header's properties and, when it accepts them, runs
    /// `AMQPMessageDecoder` on the result; returns rabbitmq-c's status.
    static func decoded(_ bytes: [UInt8], _ check: (AMQPMessageDecoder.Properties) -> Void) -> Int32 {
        let pool = UnsafeMutablePointer<amqp_pool_t>.allocate(capacity: 1)
        init_amqp_pool(pool, 4096)
        defer {
            empty_amqp_pool(pool)
            pool.deallocate()
        }
        var copy = bytes
        return copy.withUnsafeMutableBytes { buffer in
            var properties: UnsafeMutableRawPointer?
            let status = amqp_decode_properties(
                UInt16(AMQP_BASIC_CLASS), pool, amqp_bytes_t(len: buffer.count, bytes: buffer.baseAddress),
                &properties)
            if status == 0, let properties { check(AMQPMessageDecoder.properties(properties)) }
            return status
        }
    }

    /// Flips, drops, inserts or cuts bytes.
    static func mangle(_ bytes: inout [UInt8], _ random: inout SeededRandom) {
        guard !bytes.isEmpty else { return }
        let at = Int.random(in: 0..<bytes.count, using: &random)
        switch random.next() % 4 {
        case 0: bytes[at] ^= UInt8.random(in: 1...255, using: &random)
        case 1: bytes.remove(at: at)
        case 2: bytes.insert(UInt8.random(in: 0...255, using: &random), at: at)
        default: bytes.removeLast(Int.random(in: 0...(bytes.count - at), using: &random))
        }
    }

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
}

/// A random set of `basic` properties, the header table among them, and what the backend should read from it.
private struct RandomProperties {
    var messageID: [UInt8]?
    var contentType: [UInt8]?
    var correlationID: [UInt8]?
    var replyTo: [UInt8]?
    var expiration: [UInt8]?
    var type: [UInt8]?
    var appID: [UInt8]?
    var contentEncoding: [UInt8]?
    var priority: UInt8?
    var timestamp: UInt64?
    var headers: [(name: [UInt8], value: AMQPFieldModel)]?

    init(_ random: inout SeededRandom) {
        func maybe(_ random: inout SeededRandom, _ values: [String] = []) -> [UInt8]? {
            switch random.next() % 4 {
            case 0: nil
            case 1 where !values.isEmpty: Array(random.pick(values).utf8)
            default: random.bytes(maxLength: 40)
            }
        }
        self.messageID = maybe(&random)
        self.contentType = maybe(&random, ["application/json", "text/plain"])
        self.correlationID = maybe(&random)
        self.replyTo = maybe(&random, ["amq.rabbitmq.reply-to"])
        self.expiration = maybe(&random, ["60000", "0", "-5", "99999999999999999999", "1e3", ""])
        self.type = maybe(&random)
        self.appID = maybe(&random)
        self.contentEncoding = maybe(&random, ["gzip"])
        self.priority = random.next() % 3 == 0 ? UInt8.random(in: 0...255, using: &random) : nil
        self.timestamp = random.next() % 3 == 0 ? random.next() : nil
        if random.next() % 5 != 0 {
            self.headers = (0..<Int.random(in: 0...8, using: &random)).map { _ in
                let name = random.next() % 3 == 0
                    ? Array(random.pick(AMQPMessageDecoderFuzzTests.ownedNames).utf8) : random.bytes(maxLength: 20)
                return (name, AMQPFieldModel.random(&random))
            }
        }
    }

    /// The properties as rabbitmq-c writes them in a content header, or `nil` when it refuses.
    func encoded() -> [UInt8]? {
        let arena = AMQPFieldArena()
        var properties = amqp_basic_properties_t()
        var flags: UInt32 = 0
        func set(_ value: [UInt8]?, _ flag: Int32, _ field: WritableKeyPath<amqp_basic_properties_t, amqp_bytes_t>) {
            guard let value else { return }
            flags |= UInt32(flag)
            properties[keyPath: field] = arena.bytes(value)
        }
        set(self.messageID, AMQP_BASIC_MESSAGE_ID_FLAG, \.message_id)
        set(self.contentType, AMQP_BASIC_CONTENT_TYPE_FLAG, \.content_type)
        set(self.correlationID, AMQP_BASIC_CORRELATION_ID_FLAG, \.correlation_id)
        set(self.replyTo, AMQP_BASIC_REPLY_TO_FLAG, \.reply_to)
        set(self.expiration, AMQP_BASIC_EXPIRATION_FLAG, \.expiration)
        set(self.type, AMQP_BASIC_TYPE_FLAG, \.type)
        set(self.appID, AMQP_BASIC_APP_ID_FLAG, \.app_id)
        set(self.contentEncoding, AMQP_BASIC_CONTENT_ENCODING_FLAG, \.content_encoding)
        if let priority {
            flags |= UInt32(AMQP_BASIC_PRIORITY_FLAG)
            properties.priority = priority
        }
        if let timestamp {
            flags |= UInt32(AMQP_BASIC_TIMESTAMP_FLAG)
            properties.timestamp = timestamp
        }
        if let headers {
            flags |= UInt32(AMQP_BASIC_HEADERS_FLAG)
            properties.headers = arena.table(headers)
        }
        properties._flags = amqp_flags_t(flags)
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        let written = buffer.withUnsafeMutableBytes { output in
            amqp_encode_properties(
                UInt16(AMQP_BASIC_CLASS), &properties, amqp_bytes_t(len: output.count, bytes: output.baseAddress))
        }
        return written < 0 ? nil : Array(buffer[..<Int(written)])
    }

    private func lastInteger(named name: String) -> Int?? {
        guard let entry = self.headers?.last(where: { $0.name == Array(name.utf8) }) else { return .none }
        return .some(entry.value.integer)
    }

    var expectedDeliveryCount: Int? { self.lastInteger(named: AMQPHeaderName.deliveryCount) ?? nil }

    var expectedStreamOffset: Int64? { (self.lastInteger(named: AMQPHeaderName.streamOffset) ?? nil).map(Int64.init) }

    /// The AMQP timestamp (whole seconds), replaced by the last `timestamp_in_ms` header holding an integer.
    var expectedTimestamp: Date? {
        let milliseconds = self.headers?.last {
            $0.name == Array(AMQPHeaderName.timestampInMilliseconds.utf8) && $0.value.integer != nil
        }?.value.integer
        if let milliseconds { return Date(timeIntervalSince1970: Double(milliseconds) / 1000) }
        return self.timestamp.map { Date(timeIntervalSince1970: TimeInterval($0)) }
    }

    /// Every header but the counters the backend reads; a `timestamp_in_ms` that is not an integer stays.
    var expectedHeaders: [MessageHeader] {
        (self.headers ?? []).compactMap { name, value in
            let text = String(decoding: name, as: UTF8.self)
            if text == AMQPHeaderName.deliveryCount || text == AMQPHeaderName.streamOffset { return nil }
            if text == AMQPHeaderName.timestampInMilliseconds, value.integer != nil { return nil }
            return MessageHeader(name: text, value: value.headerBytes)
        }
    }

    var expectedExtra: RabbitMQMessageProperties? {
        let text = { (bytes: [UInt8]) in String(decoding: bytes, as: UTF8.self) }
        guard self.replyTo != nil || self.expiration != nil || self.priority != nil || self.type != nil
            || self.appID != nil || self.contentEncoding != nil
        else { return nil }
        var extra = RabbitMQMessageProperties()
        extra.replyTo = self.replyTo.map(text)
        extra.expiration = self.expiration.flatMap { Int64(text($0)) }.map { .milliseconds($0) }
        extra.priority = self.priority
        extra.type = self.type.map(text)
        extra.appID = self.appID.map(text)
        extra.contentEncoding = self.contentEncoding.map(text)
        return extra
    }
}
