import Foundation
import MessageBus
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

    /// Ten million ids from four threads at once, none repeated. The 64 bits that carry the counter are read back
    /// from each id (their layout is fixed by the format), so uniqueness is checked on 80 MB of integers rather than
    /// on ten million strings; the rest of every id is the process's constant bits, which the second check confirms.
    /// The work runs on threads of its own: seconds of CPU on the cooperative pool would stall every other suite.
    @Test func tenMillionIdsAreUnique() async throws {
        let perThread = 2_500_000
        let clock = ContinuousClock()
        let started = clock.now
        let parts = await withTaskGroup(of: ([UInt64], Set<Substring>).self) { group in
            for index in 0..<4 {
                group.addTask {
                    await DedicatedThread.run("message-ids-\(index)") { () -> ([UInt64], Set<Substring>) in
                        var counters: [UInt64] = []
                        counters.reserveCapacity(perThread)
                        var constant: Set<Substring> = []
                        for index in 0..<perThread {
                            let id = Message.generateID()
                            counters.append(Self.counterBits(of: id))
                            if index % 100_000 == 0 { constant.insert(Self.processBits(of: id)) }
                        }
                        return (counters, constant)
                    }
                }
            }
            var all: [([UInt64], Set<Substring>)] = []
            for await part in group { all.append(part) }
            return all
        }
        let elapsed = clock.now - started
        let repeats = await DedicatedThread.run("message-ids-check") { () -> Int in
            var counters = parts.flatMap(\.0)
            counters.sort()
            var repeats = counters.count == 10_000_000 ? 0 : -1
            for index in counters.indices.dropFirst() where counters[index] == counters[index - 1] { repeats += 1 }
            return repeats
        }
        #expect(repeats == 0, "10,000,000 ids expected, none repeated")
        let processBits = parts.reduce(into: Set<Substring>()) { $0.formUnion($1.1) }
        #expect(processBits.count == 1, "one process, one constant part: \(processBits)")
        let nanoseconds = Double(elapsed.components.attoseconds) / 1e9 + Double(elapsed.components.seconds) * 1e9
        print("10,000,000 message ids on 4 threads in \(elapsed) (\(Int(nanoseconds / 10_000_000)) ns each, checks included)")
        // For scale (printed, not asserted: speed is measured by benchmarks): Foundation's UUID on one thread.
        let (uuids, ids) = await DedicatedThread.run("message-ids-scale") { () -> (Duration, Duration) in
            let uuidStarted = clock.now
            for _ in 0..<100_000 { _ = UUID().uuidString }
            let idStarted = clock.now
            for _ in 0..<100_000 { _ = Message.generateID() }
            return (idStarted - uuidStarted, clock.now - idStarted)
        }
        print("100,000 ids on one thread: UUID().uuidString \(uuids), Message.generateID() \(ids)")
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
