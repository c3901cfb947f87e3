@testable import MessageBusRabbitMQ
import Testing

/// Consumer channel numbers alone: handed out in turn, so a number just closed is not opened again at once.
@Suite("ChannelNumberRotation")
struct ChannelNumberRotationTests {
    @Test("numbers come in turn; one closed a moment ago comes back only after every other one")
    func inTurn() {
        var rotation = ChannelNumberRotation(first: 3)
        var used: Set<UInt16> = []
        for expected: UInt16 in [3, 4, 5] {
            let channel = rotation.take(channelMax: 6) { !used.contains($0) }
            #expect(channel == expected)
            used.insert(channel)
        }
        used.remove(4)  // closed: the lowest free number, yet the next one handed out is 6
        #expect(rotation.take(channelMax: 6) { !used.contains($0) } == 6)
        used.insert(6)
        #expect(rotation.take(channelMax: 6) { !used.contains($0) } == 4, "wraps round to the free one")
    }

    @Test("numbers in use are skipped; past the connection's limit, the lowest free number above it")
    func allTaken() {
        var rotation = ChannelNumberRotation(first: 3)
        let used: Set<UInt16> = [3, 4, 5, 7]
        #expect(rotation.take(channelMax: 5) { !used.contains($0) } == 6)
        #expect(rotation.take(channelMax: 5) { !used.contains($0) } == 6, "every number in turn is taken")
    }

    @Test("without a negotiated limit, numbers turn at 2047")
    func defaultLimit() {
        var rotation = ChannelNumberRotation(first: 3)
        var last: UInt16 = 0
        for _ in 3...2047 { last = rotation.take(channelMax: 0) { _ in true } }
        #expect(last == 2047)
        #expect(rotation.take(channelMax: 0) { _ in true } == 3)
    }
}
