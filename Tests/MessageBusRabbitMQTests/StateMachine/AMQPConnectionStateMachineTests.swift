import MessageBus
@testable import MessageBusRabbitMQ
import Testing

/// The publishing decisions of a RabbitMQ connection, alone (no broker, no clock): the confirm window, confirms,
/// returns, flushes, deadlines and blocking. Recovery and closing are in the extensions of this suite.
@Suite("RabbitMQ connection state machine")
struct AMQPConnectionStateMachineTests {
    // MARK: Confirm window

    @Test("the window fills, later publishes are held in the lane, and confirms drain it in order")
    func windowFillsAndDrains() {
        var driver = StateMachineDriver(confirmWindow: 3)
        let publishes = (1...5).map { driver.request(["m\($0)"]) }
        let taken = driver.submit(publishes.map { .publish($0.0) })
        #expect(taken)
        #expect(driver.written == ["m1", "m2", "m3"])
        #expect(!driver.machine.canPublish && !driver.machine.takesPublishes, "a full window takes nothing more")
        #expect(!driver.machine.hasRunnableCommand, "the held publishes cannot run: the owner may sleep")
        #expect(driver.machine.publishLane.count == 2)

        driver.ack(1)
        #expect(publishes[0].1.succeeded)
        #expect(driver.machine.hasRunnableCommand)
        driver.runLane()
        #expect(driver.written == ["m1", "m2", "m3", "m4"])
        #expect(!driver.machine.takesPublishes, "the lane is taken again only once it has run")

        driver.ack(3, multiple: true)
        driver.runLane()
        #expect(driver.written == ["m1", "m2", "m3", "m4", "m5"])
        #expect(driver.machine.takesPublishes, "the lane is empty and the window has room")
        driver.ack(5, multiple: true)
        #expect(publishes.allSatisfy { $0.1.succeeded })
        #expect(driver.machine.unconfirmedCount == 0)
    }

    @Test("a batch enters the window whole, and completes once its last message is confirmed")
    func batchCompletesWithItsLastMessage() {
        var driver = StateMachineDriver(confirmWindow: 2)
        let (batch, outcome) = driver.request(["a", "b", "c"])
        let (later, laterOutcome) = driver.request(["d"])
        driver.submit([.publish(batch), .publish(later)])
        #expect(driver.written == ["a", "b", "c"], "a batch is never split; the next one waits for room")
        driver.ack(2, multiple: true)
        #expect(outcome.isPending)
        driver.ack(3)
        #expect(outcome.succeeded)
        driver.runLane()
        driver.ack(4)
        #expect(laterOutcome.succeeded, "the next publish is numbered on after the batch")
    }

    @Test("confirms out of order wait for the head of the window")
    func outOfOrderConfirms() {
        var driver = StateMachineDriver()
        let publishes = (1...3).map { driver.request(["m\($0)"]) }
        driver.submit(publishes.map { .publish($0.0) })
        driver.ack(3)
        driver.ack(2)
        #expect(publishes.allSatisfy { $0.1.isPending }, "the oldest is not confirmed yet")
        #expect(driver.machine.unconfirmedCount == 3)
        driver.ack(1)
        #expect(publishes.allSatisfy { $0.1.succeeded })
        #expect(driver.machine.outOfOrderConfirms.isEmpty)
    }

    @Test("a multiple ack confirms every message up to its tag, and no further")
    func multipleAck() {
        var driver = StateMachineDriver(confirmWindow: 10)
        let publishes = (1...4).map { driver.request(["m\($0)"]) }
        driver.submit(publishes.map { .publish($0.0) })
        driver.ack(3, multiple: true)
        #expect(publishes.prefix(3).allSatisfy { $0.1.succeeded })
        #expect(publishes[3].1.isPending)
        #expect(driver.machine.unconfirmedCount == 1)
    }

    @Test("a nack fails the batch holding the message, naming it, and no other")
    func nackFailsItsBatch() throws {
        var driver = StateMachineDriver()
        let (first, firstOutcome) = driver.request(["a", "b"])
        let (second, secondOutcome) = driver.request(["c"])
        driver.submit([.publish(first), .publish(second)])
        driver.nack(2)
        driver.ack(1)
        let error = try #require(firstOutcome.failure)
        #expect(error.code == .brokerError)
        #expect(error.message.contains("'b'") && error.message.contains("basic.nack"))
        driver.ack(3)
        #expect(secondOutcome.succeeded)
        #expect(firstOutcome.all.count == 1, "the ack of its other message does not resume it again")
    }

    @Test("a multiple nack fails every batch up to its tag")
    func multipleNack() {
        var driver = StateMachineDriver()
        let publishes = (1...3).map { driver.request(["m\($0)"]) }
        driver.submit(publishes.map { .publish($0.0) })
        driver.nack(2, multiple: true)
        #expect(publishes.prefix(2).allSatisfy { $0.1.failure?.code == .brokerError })
        #expect(publishes[2].1.isPending)
    }

    // MARK: Returns

    @Test("a return before its ack fails the mandatory message it names; routable ones in flight succeed")
    func returnBeforeAck() throws {
        var driver = StateMachineDriver()
        let (routable, routableOutcome) = driver.request(["r"], key: "k", mandatory: true)
        let (unroutable, unroutableOutcome) = driver.request(["u"], key: "k", mandatory: true)
        driver.submit([.publish(routable), .publish(unroutable)])
        let matched = driver.returned("u")
        #expect(matched)
        driver.ack(2, multiple: true)
        #expect(routableOutcome.succeeded)
        let error = try #require(unroutableOutcome.failure)
        #expect(error.code == .unroutable)
        #expect(error.message.contains("'u'") && error.message.contains("312 NO_ROUTE"))
        #expect(driver.machine.returns.isEmpty)
    }

    @Test("identical returned messages are matched oldest first, each once")
    func identicalReturnsMatchOldestFirst() {
        var driver = StateMachineDriver()
        let publishes = (1...3).map { _ in driver.request(["same"], key: "k", mandatory: true) }
        driver.submit(publishes.map { .publish($0.0) })
        for _ in 0..<2 {
            let matchedSameOrders = driver.returned("same", exchange: "orders")
            #expect(matchedSameOrders)
        }
        driver.ack(3, multiple: true)
        #expect(publishes.prefix(2).allSatisfy { $0.1.failure?.code == .unroutable })
        #expect(publishes[2].1.succeeded)
    }

    @Test("a return that matches no mandatory message in the window is reported unmatched")
    func unmatchedReturn() {
        var driver = StateMachineDriver()
        let (notMandatory, outcome) = driver.request(["n"], key: "k")
        driver.submit([.publish(notMandatory)])
        let matchedNOrders = driver.returned("n", exchange: "orders")
        #expect(!matchedNOrders)
        let matchedNOther = driver.returned("n", exchange: "other")
        #expect(!matchedNOther)
        driver.ack(1)
        #expect(outcome.succeeded)
    }

    // MARK: Flushes

    @Test("a flush waits for every publish before it, and only those")
    func flushWaitsForEarlierPublishes() {
        var driver = StateMachineDriver(confirmWindow: 10)
        let (first, _) = driver.request(["a", "b"], awaited: false)
        let (flush, flushed) = driver.flushCommand()
        let (after, _) = driver.request(["c"], awaited: false)
        driver.submit([.publish(first), flush, .publish(after)])
        driver.ack(1)
        #expect(flushed.isPending)
        driver.ack(3)
        #expect(flushed.isPending, "message 2 is not confirmed yet")
        driver.ack(2)
        #expect(flushed.succeeded, "the later message 3 is not waited for (it was confirmed anyway)")
    }

    @Test("a flush with nothing written completes at once; one behind held publishes stays behind them")
    func flushBehindHeldPublishes() {
        var driver = StateMachineDriver(confirmWindow: 1)
        let (empty, emptyOutcome) = driver.flushCommand()
        driver.submit([empty])
        #expect(emptyOutcome.succeeded)

        let (first, _) = driver.request(["a"], awaited: false)
        let (held, _) = driver.request(["b"], awaited: false)
        let (flush, flushed) = driver.flushCommand()
        driver.submit([.publish(first), .publish(held), flush])
        #expect(driver.written == ["a"])
        driver.ack(1)
        #expect(flushed.isPending, "the flush is still in the lane behind 'b'")
        driver.runLane()
        #expect(driver.written == ["a", "b"])
        #expect(flushed.isPending)
        driver.ack(2)
        #expect(flushed.succeeded)
    }

    @Test("a flush reports the first send failure since the last flush, then starts clean")
    func flushReportsSendFailures() throws {
        var driver = StateMachineDriver()
        let (first, _) = driver.request(["a"], awaited: false)
        let (second, _) = driver.request(["b"], awaited: false)
        let (flush, flushed) = driver.flushCommand()
        driver.submit([.publish(first), .publish(second), flush])
        driver.nack(1)
        driver.nack(2)
        let error = try #require(flushed.failure)
        #expect(error.message.contains("'a'"), "the first failure is the one reported")
        let (next, nextFlushed) = driver.flushCommand()
        driver.submit([next])
        #expect(nextFlushed.succeeded)
    }

    @Test("a failed awaited publish is its caller's error, not a later flush's")
    func awaitedFailureIsNotAFlushFailure() {
        var driver = StateMachineDriver()
        let (awaited, outcome) = driver.request(["a"])
        let (flush, flushed) = driver.flushCommand()
        driver.submit([.publish(awaited), flush])
        driver.nack(1)
        #expect(outcome.failure?.code == .brokerError)
        #expect(flushed.succeeded)
    }

    // MARK: Deadlines

    @Test("deadlines expiring mid-window fail their callers once; the messages stay until confirmed")
    func deadlinesExpireMidWindow() throws {
        var driver = StateMachineDriver(confirmWindow: 10)
        let (early, earlyOutcome) = driver.request(["a"], deadlineAfter: 1)
        let (late, lateOutcome) = driver.request(["b"], deadlineAfter: 10)
        driver.submit([.publish(early), .publish(late)])
        driver.tick(at: 0.5)
        #expect(earlyOutcome.isPending)
        driver.tick(at: 2)
        let error = try #require(earlyOutcome.failure)
        #expect(error.code == .timeout && error.message.contains("did not confirm"))
        #expect(lateOutcome.isPending)
        #expect(driver.machine.unconfirmedCount == 2, "the broker still numbers the timed-out message")
        driver.ack(2, multiple: true)
        #expect(earlyOutcome.all.count == 1, "a late confirm does not resume the caller again")
        #expect(lateOutcome.succeeded)
        #expect(driver.machine.unconfirmedCount == 0)
    }

    @Test("a publish that times out before it could start leaves the lane; the flush behind it stays")
    func expiredHeldPublishLeavesTheLane() throws {
        var driver = StateMachineDriver(confirmWindow: 1)
        let (first, _) = driver.request(["a"], deadlineAfter: 10)
        let (held, heldOutcome) = driver.request(["b"], deadlineAfter: 1)
        let (flush, flushed) = driver.flushCommand()
        driver.submit([.publish(first), .publish(held), flush])
        driver.tick(at: 2)
        let error = try #require(heldOutcome.failure)
        #expect(error.code == .timeout && error.message.contains("could not start"))
        #expect(driver.machine.publishLane.count == 1, "only the flush is left")
        #expect(driver.machine.publishLane.first?.isFlush == true)
        driver.ack(1)
        driver.runLane(now: 2)
        #expect(driver.written == ["a"], "the expired publish is never written")
        #expect(flushed.succeeded)
    }

    @Test("a flush whose deadline passes fails with the count still unconfirmed")
    func flushDeadline() throws {
        var driver = StateMachineDriver(publishTimeout: .seconds(1))
        let (publish, _) = driver.request(["a", "b"], awaited: false, deadlineAfter: 100)
        let (flush, flushed) = driver.flushCommand()
        driver.submit([.publish(publish), flush])
        driver.tick(at: 0.5)
        #expect(flushed.isPending)
        driver.tick(at: 1.5)
        let error = try #require(flushed.failure)
        #expect(error.code == .timeout && error.message.contains("2 sent messages"))
        #expect(driver.machine.flushes.isEmpty)
    }

    @Test("publishes that expired in the queue fail once; the queue is looked at every 100 ms at most")
    func expiredInTheQueue() throws {
        var driver = StateMachineDriver()
        let checks = [0, 0.05, 0.2].map { driver.machine.isQueueDeadlineCheckDue(now: driver.at($0)) }
        #expect(checks == [true, false, true])
        let (request, outcome) = driver.request(["a"], deadlineAfter: 1)
        driver.handle { $0.expireUnstarted([request, request], into: &$1) }
        #expect(outcome.failure?.message.contains("could not start") == true)
        #expect(!driver.machine.shouldWrite(request), "a finished request is skipped if it still comes")
    }

    // MARK: Blocking

    @Test("blocked holds every publish without writing; unblocked writes them in order")
    func blockedHoldsPublishes() {
        var driver = StateMachineDriver()
        driver.handle { $0.blocked(reason: "low on memory", into: &$1) }
        #expect(!driver.machine.takesPublishes, "the queue's lane stays bounded in the queue")
        driver.machine.enqueue([.publish(driver.request(["a"]).0), .publish(driver.request(["b"]).0)])
        driver.runLane()
        #expect(driver.written.isEmpty)
        #expect(!driver.machine.hasRunnableCommand)
        driver.handle { $0.unblocked(into: &$1) }
        #expect(driver.machine.hasRunnableCommand)
        driver.runLane()
        #expect(driver.written == ["a", "b"])
        guard case .blocked(let reason) = driver.events.first, case .unblocked = driver.events.last else {
            Issue.record("expected blocked then unblocked, got \(driver.events)")
            return
        }
        #expect(reason == "low on memory")
    }

    @Test("a new connection starts unblocked")
    func reconnectionUnblocks() {
        var driver = StateMachineDriver()
        driver.handle { $0.blocked(reason: "disk", into: &$1) }
        driver.loseConnection()
        #expect(driver.machine.canPublish)
    }
}
