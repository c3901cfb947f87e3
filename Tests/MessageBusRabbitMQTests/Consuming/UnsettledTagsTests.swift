@testable import MessageBusRabbitMQ
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
}
