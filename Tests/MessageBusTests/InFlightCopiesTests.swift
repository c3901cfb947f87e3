@testable import MessageBus
import Testing

/// Effectively-once's rule for copies of one message that arrive while another copy is in flight, without a broker.
@Suite("In-flight copies (effectively-once)")
struct InFlightCopiesTests {
    final class Copy {
        let name: String
        init(_ name: String) { self.name = name }
    }

    /// The copies under test and the names of what each step returned.
    struct Steps {
        var copies = InFlightCopies<Copy>()

        mutating func admit(_ copy: Copy, _ key: String = "m") -> Bool {
            self.copies.admit(copy, key: key)
        }

        mutating func settle(_ copy: Copy, _ key: String = "m", forGood: Bool) -> [String] {
            self.copies.settled(copy, key: key, forGood: forGood).map(\.name)
        }

        mutating func takeReleased(max: Int = 10) -> [Copy] {
            self.copies.takeReleased(max: max)
        }

        var waiting: Int { self.copies.waitingCount }
    }

    @Test("the first copy of a message goes out; a copy arriving while it is in flight is held")
    func secondCopyIsHeld() {
        var steps = Steps()
        let admitted = [steps.admit(Copy("first")), steps.admit(Copy("second")), steps.admit(Copy("other"), "n")]
        #expect(admitted == [true, false, true])
        #expect(steps.waiting == 1)
        #expect(steps.takeReleased().isEmpty)
    }

    @Test("settled for good: the held copies are returned to be dropped, and the id is free again")
    func settledForGoodDropsHeldCopies() {
        var steps = Steps()
        let first = Copy("first")
        let admitted = [steps.admit(first), steps.admit(Copy("second")), steps.admit(Copy("third"))]
        #expect(admitted == [true, false, false])
        let dropped = steps.settle(first, forGood: true)
        #expect(dropped == ["second", "third"])
        #expect(steps.waiting == 0)
        #expect(steps.takeReleased().isEmpty)
        let later = steps.admit(Copy("later"))
        #expect(later)
    }

    @Test("given back: the held copies are released; one is admitted in place of the copy given back")
    func givenBackReleasesHeldCopies() {
        var steps = Steps()
        let first = Copy("first")
        _ = [steps.admit(first), steps.admit(Copy("second")), steps.admit(Copy("third"))]
        let dropped = steps.settle(first, forGood: false)
        #expect(dropped.isEmpty)
        #expect(steps.waiting == 2)
        let released = steps.takeReleased(max: 1)
        #expect(released.map(\.name) == ["second"])
        let secondAdmitted = steps.admit(released[0])
        #expect(secondAdmitted)
        let rest = steps.takeReleased()
        #expect(rest.map(\.name) == ["third"])
        let thirdAdmitted = steps.admit(rest[0])
        #expect(!thirdAdmitted)
        #expect(steps.waiting == 1)
        let droppedAfterAck = steps.settle(released[0], forGood: true)
        #expect(droppedAfterAck == ["third"])
        #expect(steps.waiting == 0)
    }

    @Test("a copy that does not hold its id changes nothing when settled: a dropped duplicate, a second settlement")
    func settlingANonHolderChangesNothing() {
        var steps = Steps()
        let first = Copy("first")
        let second = Copy("second")
        _ = [steps.admit(first), steps.admit(second)]
        let byHeldCopy = steps.settle(second, forGood: true)
        let byUnknown = steps.settle(Copy("unknown"), "x", forGood: false)
        #expect(byHeldCopy.isEmpty && byUnknown.isEmpty)
        #expect(steps.waiting == 1)
        let byHolder = steps.settle(first, forGood: true)
        #expect(byHolder == ["second"])
        let again = steps.settle(first, forGood: false)
        #expect(again.isEmpty)
        #expect(steps.takeReleased().isEmpty)
    }
}
