@testable import MessageBusRabbitMQ
import MessageBusIntegrationSupport
import Testing

/// The unsettled-tag window alone: which tags go as one `multiple` acknowledgement and which one by one.
@Suite("UnsettledTags")
struct UnsettledTagsTests {
    private func window(_ tags: ClosedRange<UInt64>) -> UnsettledTags {
        var window = UnsettledTags()
        for tag in tags { window.insert(tag) }
        return window
    }

    @Test("settling the oldest tags in order is one multiple acknowledgement")
    func inOrderPrefix() {
        var window = self.window(1...200)
        let settled = window.settle(Array(1...100))
        #expect(settled.upTo == 100 && settled.together == 100 && settled.singles.isEmpty)
        #expect(window.base == 101 && window.count == 100)
    }

    @Test("tags after a gap go one by one; closing the gap sends the run below the oldest unsettled at once")
    func outOfOrder() {
        var window = self.window(1...10)
        let late = window.settle([3, 5, 4])
        #expect(late.upTo == nil && late.singles == [3, 4, 5])
        #expect(window.contains(1) && !window.contains(3))
        let gap = window.settle([2, 1])
        // 1 and 2 are this batch's; 3 to 5 were settled before, so `multiple` up to 2 covers exactly 1 and 2.
        #expect(gap.upTo == 2 && gap.together == 2 && gap.singles.isEmpty)
        #expect(window.base == 6 && window.count == 5)
    }

    @Test("unknown and repeated tags are ignored; a single tag is not sent as multiple")
    func unknownAndRepeated() {
        var window = self.window(1...3)
        #expect(window.settle([1]) == (upTo: 1, together: 1, singles: []))
        let again = window.settle([1, 99])
        #expect(again.upTo == nil && again.together == 0 && again.singles.isEmpty)
    }

    @Test("a window across many words survives a stuck oldest tag and shifts when it settles")
    func wideWindow() {
        var window = self.window(1...1000)
        let most = window.settle(Array(2...1000))
        #expect(most.upTo == nil && most.singles.count == 999, "tag 1 is still out: nothing can go as multiple")
        #expect(window.base == 1 && window.count == 1)
        window.insert(1001)
        window.insert(1070)
        #expect(window.settle([1]).upTo == 1)
        #expect(window.base == 1001 && window.contains(1001) && window.contains(1070) && !window.contains(1002))
        #expect(window.settle([1070]).singles == [1070])
        #expect(window.settle([1001]).upTo == 1001)
        #expect(window.count == 0 && window.base == 1071)
    }

    @Test("random deliveries and settlements: every ack names a tag the broker holds and settles only settled tags")
    func randomAgainstTheBroker() async {
        var random = SeededRandom(seed: 0x5eed_7a65)
        for _ in 0..<100 {
            await Task.yield()
            var window = UnsettledTags()
            // What the broker holds unacknowledged on the channel, and what the application has settled.
            var outstanding = Set<UInt64>()
            var nextTag: UInt64 = 1
            for _ in 0..<100 {
                for _ in 0..<Int.random(in: 0...40, using: &random) {
                    nextTag += Int.random(in: 0...9, using: &random) == 0 ? UInt64.random(in: 1...70, using: &random) : 0
                    window.insert(nextTag)
                    outstanding.insert(nextTag)
                    nextTag += 1
                }
                var batch = outstanding.filter { _ in Int.random(in: 0...2, using: &random) == 0 }.shuffled(using: &random)
                batch += (0..<Int.random(in: 0...3, using: &random)).map { _ in UInt64.random(in: 1...nextTag, using: &random) }
                let settled = Set(batch).intersection(outstanding)
                let (upTo, together, singles) = window.settle(batch)
                if let upTo {
                    #expect(outstanding.contains(upTo), "unknown delivery tag \(upTo)")
                    let covered: Set<UInt64> = together > 1 ? outstanding.filter { $0 <= upTo } : [upTo]
                    #expect(covered.isSubset(of: settled), "a multiple ack up to \(upTo) covers unsettled tags")
                    #expect(covered.count == together)
                    outstanding.subtract(covered)
                }
                for tag in singles {
                    #expect(outstanding.remove(tag) != nil, "unknown delivery tag \(tag)")
                }
                #expect(outstanding.isDisjoint(with: settled), "settled tags left unacknowledged")
                #expect(window.count == outstanding.count)
                if let oldest = outstanding.min() { #expect(window.base == oldest && window.contains(oldest)) }
            }
        }
    }
}

