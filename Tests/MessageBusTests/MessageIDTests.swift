import Foundation
import MessageBus
import MessageBusIntegrationSupport
import Testing

@Suite("Message ids")
struct MessageIDTests {
    @Test func idsAreVersion4UUIDStrings() throws {
        for _ in 0..<1000 {
            let id = Message.generateID()
            let bytes = Array(id.utf8)
            #expect(bytes.count == 36)
            #expect([8, 13, 18, 23].allSatisfy { bytes[$0] == UInt8(ascii: "-") })
            #expect(bytes[14] == UInt8(ascii: "4"), "version nibble of \(id)")
            #expect("89AB".utf8.contains(bytes[19]), "variant of \(id)")
            #expect(id == id.uppercased())
            let parsed = try #require(UUID(uuidString: id), "Foundation parses \(id)")
            #expect(parsed.uuidString == id)
        }
        #expect(Message(payload: []).id != Message(payload: []).id)
    }

    /// Ten million ids, none repeated: each id's hash is kept (a set of integers rather than of ten million strings), and distinct
    /// hashes prove distinct ids (equal ids hash alike); a shared hash would fail the test, which two distinct ids
    /// do with a probability of about 1 in 200,000 over ten million. The process's constant bits are checked on a
    /// sample. The work runs on one thread of its own: seconds of CPU on the cooperative pool, or on every core,
    /// would stall the time-bounded tests of other suites.
    @Test func tenMillionIdsAreUnique() async throws {
        let count = 10_000_000
        let clock = ContinuousClock()
        let (repeats, constantParts, elapsed) = await DedicatedThread.run("message-ids") {
            () -> (Int, Set<Substring>, Duration) in
            let started = clock.now
            var hashes: [Int] = []
            hashes.reserveCapacity(count)
            var constant: Set<Substring> = []
            for index in 0..<count {
                let id = Message.generateID()
                hashes.append(id.hashValue)
                if index % 1_000_000 == 0 { constant.insert(Self.processBits(of: id)) }
            }
            // Checked after generating: filling the set in the same loop took twice as long (debug build).
            var distinct = Set<Int>(minimumCapacity: count)
            let repeats = hashes.count { !distinct.insert($0).inserted }
            return (repeats, constant, clock.now - started)
        }
        #expect(repeats == 0, "10,000,000 ids, none repeated")
        #expect(constantParts.count == 1, "one process, one constant part: \(constantParts)")
        let nanoseconds = Double(elapsed.components.attoseconds) / 1e9 + Double(elapsed.components.seconds) * 1e9
        print("10,000,000 message ids made and checked in \(elapsed) (\(Int(nanoseconds / 1e7)) ns each, debug build)")
        // For scale (printed, not asserted: speed is measured by benchmarks): Foundation's UUID on one thread.
        let (uuids, ids) = await DedicatedThread.run("mb-ids-scale") { () -> (Duration, Duration) in
            let uuidStarted = clock.now
            for _ in 0..<100_000 { _ = UUID().uuidString }
            let idStarted = clock.now
            for _ in 0..<100_000 { _ = Message.generateID() }
            return (idStarted - uuidStarted, clock.now - idStarted)
        }
        print("100,000 ids on one thread: UUID().uuidString \(uuids), Message.generateID() \(ids)")
    }

    @Test(
        "an id's text comes back exactly as it was given, held as bits or as text",
        arguments: [
            "0F1E2D3C-4B5A-4987-8A6B-5C4D3E2F1A0B", "0f1e2d3c-4b5a-4987-8a6b-5c4d3e2f1a0b",
            "01234567-8901-2345-6789-012345678901", "0F1E2D3C-4b5a-4987-8A6B-5C4D3E2F1A0B",
            "0F1E2D3C-4B5A-4987-8A6B-5C4D3E2F1A0G", "0F1E2D3C+4B5A-4987-8A6B-5C4D3E2F1A0B",
            "0F1E2D3C-4B5A-4987-8A6B-5C4D3E2F1A0", "0F1E2D3C-4B5A-4987-8A6B-5C4D3E2F1A0BC", "", "order-42",
            "ÄF1E2D3C-4B5A-4987-8A6B-5C4D3E2F1A0",
        ])
    func identifierRoundTrips(text: String) {
        let message = Message(payload: [], id: text)
        #expect(message.id == text)
        var bytes = Array(text.utf8)
        let decoded = bytes.withUnsafeMutableBufferPointer { MessageIdentifier(utf8: UnsafeBufferPointer($0)) }
        #expect(decoded == message.identifier, "decoding the bytes and initialising with the string agree")
        #expect(decoded.text == text)
        #expect(decoded.utf8Count == text.utf8.count)
        var formatted: [UInt8] = []
        decoded.withUTF8 { formatted = Array($0) }
        #expect(formatted == bytes)
        // A message decoded from a broker equals (and hashes like) one the application made with the same id.
        let made = Message(
            payload: [], key: nil, headers: [:], identifier: decoded, timestamp: message.timestamp, contentType: nil,
            correlationID: nil)
        #expect(made == message && made.hashValue == message.hashValue)
    }

    @Test("UUIDs in one case are held as bits, anything else as text")
    func identifierForms() {
        #expect(Message(payload: []).identifier.isUUID)
        #expect(MessageIdentifier("0f1e2d3c-4b5a-4987-8a6b-5c4d3e2f1a0b").isUUID)
        #expect(MessageIdentifier(UUID().uuidString).isUUID)
        #expect(!MessageIdentifier("0F1E2D3C-4b5a-4987-8A6B-5C4D3E2F1A0B").isUUID, "mixed case could not round-trip")
        #expect(!MessageIdentifier("order-42").isUUID)
        var message = Message(payload: [], id: "order-42")
        message.id = "0F1E2D3C-4B5A-4987-8A6B-5C4D3E2F1A0B"
        #expect(message.identifier.isUUID && message.id == "0F1E2D3C-4B5A-4987-8A6B-5C4D3E2F1A0B")
    }

    @Test("ids decoded from bytes are held as bits exactly when they are one-case UUID text, with Foundation's value")
    func identifierDecodingAgreesWithAPlainReading() throws {
        let seed = fuzzSeed()
        var random = SeededRandom(seed: seed)
        let alphabet = Array("0123456789abcdefABCDEFgG-@`/:Zz\u{7f}".utf8) + [0x00, 0x80, 0xC3, 0xFF]
        for trial in 0..<50_000 {
            let hex = (0..<32).map { _ in String(Int.random(in: 0..<16, using: &random), radix: 16) }.joined()
            let uuid = [hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4),
                hex.dropFirst(20)].joined(separator: "-")
            var bytes = Array((trial % 2 == 0 ? uuid.uppercased() : uuid).utf8)
            for _ in 0..<Int.random(in: 0...2, using: &random) {
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = alphabet.randomElement(using: &random)!
            }
            if trial % 7 == 0 { bytes = (0..<36).map { _ in alphabet.randomElement(using: &random)! } }
            let identifier = bytes.withUnsafeBufferPointer { MessageIdentifier(utf8: $0) }
            let text = String(decoding: bytes, as: UTF8.self)
            let letters = bytes.filter { UInt8(ascii: "A")...UInt8(ascii: "Z") ~= $0 || UInt8(ascii: "a")...UInt8(ascii: "z") ~= $0 }
            let oneCase = letters.allSatisfy { $0 >= UInt8(ascii: "a") } || letters.allSatisfy { $0 <= UInt8(ascii: "Z") }
            let isUUIDText = bytes.count == 36 && oneCase && bytes.enumerated().allSatisfy { index, byte in
                [8, 13, 18, 23].contains(index) ? byte == UInt8(ascii: "-") : "0123456789abcdefABCDEF".utf8.contains(byte)
            }
            let context = Comment(rawValue: "seed \(seed), case \(trial): \(text)")
            #expect(identifier.text == text, context)
            guard case .uuid(let high, let low, _) = identifier else {
                #expect(!isUUIDText, Comment(rawValue: "a UUID's text held as text: \(context)"))
                continue
            }
            #expect(isUUIDText, Comment(rawValue: "not a UUID's text, held as bits: \(context)"))
            let foundation = try #require(UUID(uuidString: text), context).uuid
            let foundationBytes = withUnsafeBytes(of: foundation) { Array($0) }
            let heldBytes = withUnsafeBytes(of: (high.bigEndian, low.bigEndian)) { Array($0) }
            #expect(heldBytes == foundationBytes, context)
        }
    }

    @Test("print and dump show a message's id as its text")
    func reflectionShowsTheIDText() {
        let message = Message(text: "hi", id: "0F1E2D3C-4B5A-4987-8A6B-5C4D3E2F1A0B")
        #expect(String(describing: message).contains(#"id: "0F1E2D3C-4B5A-4987-8A6B-5C4D3E2F1A0B""#), "\(message)")
        var dumped = ""
        dump(message, to: &dumped)
        #expect(dumped.contains("0F1E2D3C-4B5A-4987-8A6B-5C4D3E2F1A0B"), "\(dumped)")
        #expect(!dumped.contains("high"), "\(dumped)")
    }

    @Test("the counter bits of consecutive ids all differ: the 64 bits are laid out in full")
    func counterBitsAreKept() {
        var seen = Set<UInt64>()
        for _ in 0..<10_000 { seen.insert(Self.counterBits(of: Message.generateID())) }
        #expect(seen.count == 10_000)
    }

    /// The 64 counter bits: hex digits 0-7, 9-12, 15-17 of the id (after the version nibble) and the low 4 bits of
    /// the clock sequence's first 12-bit group.
    private static func counterBits(of id: String) -> UInt64 {
        var id = id
        return id.withUTF8 { bytes in
            func nibble(_ index: Int) -> UInt64 {
                let byte = bytes[index]
                return UInt64(byte <= UInt8(ascii: "9") ? byte &- UInt8(ascii: "0") : byte &- UInt8(ascii: "A") &+ 10)
            }
            var value: UInt64 = 0
            for index in 0..<8 { value = value << 4 | nibble(index) }
            for index in 9..<13 { value = value << 4 | nibble(index) }
            for index in 15..<18 { value = value << 4 | nibble(index) }
            // The clock sequence is 2 variant bits, then the counter's last 4 bits, then 10 process bits.
            let clockSequence = nibble(19) << 12 | nibble(20) << 8
            return value << 4 | (clockSequence >> 10) & 0xF
        }
    }

    private static func processBits(of id: String) -> Substring {
        let start = id.index(id.startIndex, offsetBy: 21)
        return id[start...]
    }
}

extension MessageIdentifier {
    fileprivate var isUUID: Bool {
        if case .uuid = self { return true }
        return false
    }
}
