import MessageBus
@testable import MessageBusRabbitMQ
import Testing

/// Connection loss, recovery with republishing, a closed publish channel, closing and termination.
extension AMQPConnectionStateMachineTests {
    @Test("connection loss keeps the unconfirmed messages; recovery republishes them in order, renumbered from 1")
    func recoveryRepublishesInOrder() {
        var driver = StateMachineDriver(confirmWindow: 10)
        let publishes = (1...4).map { driver.request(["m\($0)"]) }
        driver.submit(publishes.map { .publish($0.0) })
        driver.ack(1)
        driver.ack(3)  // out of order: void once the connection is gone
        let decision = driver.loseConnection(reconnecting: false)
        guard case .recover = decision else {
            Issue.record("expected recovery, got \(decision)")
            return
        }
        guard case .connectionLost(let reason) = driver.events.last else {
            Issue.record("expected connectionLost, got \(driver.events)")
            return
        }
        #expect(reason == "test cut")
        #expect(!driver.machine.canPublish, "nothing is written while recovering")
        let (during, duringOutcome) = driver.request(["new"])
        let taken = driver.submit([.publish(during)])
        #expect(!taken, "the lane stays in the queue while recovering")

        driver.reconnect()
        #expect(driver.written == ["m1", "m2", "m3", "m4", "m2", "m3", "m4"])
        #expect(driver.machine.window.elements.map(\.sequence) == [1, 2, 3])
        driver.ack(1)
        #expect(publishes[1].1.succeeded, "tag 1 of the new channel is 'm2'")
        #expect(publishes[2].1.isPending, "the confirm of 'm3' on the old connection was void")
        driver.submit([.publish(during)])
        #expect(driver.written.last == "new")
        driver.ack(4, multiple: true)
        #expect(publishes.allSatisfy { $0.1.succeeded })
        #expect(duringOutcome.succeeded)
    }

    @Test("recovery drops timed-out awaited publishes but republishes timed-out sends (a flush reports them)")
    func recoveryDropsTimedOutAwaitedPublishes() {
        var driver = StateMachineDriver(confirmWindow: 10)
        let (awaited, awaitedOutcome) = driver.request(["awaited"], deadlineAfter: 1)
        let (sent, _) = driver.request(["sent"], awaited: false, deadlineAfter: 1)
        let (fresh, freshOutcome) = driver.request(["fresh"], deadlineAfter: 10)
        driver.submit([.publish(awaited), .publish(sent), .publish(fresh)])
        driver.tick(at: 2)
        #expect(awaitedOutcome.failure?.code == .timeout)
        driver.loseConnection()
        #expect(driver.written.suffix(2) == ["sent", "fresh"])
        driver.ack(2, multiple: true)
        #expect(freshOutcome.succeeded)
        #expect(awaitedOutcome.all.count == 1)
    }

    @Test("a request awaiting a reply fails on connection loss and is not republished")
    func requestsAwaitingRepliesFailOnLoss() throws {
        var driver = StateMachineDriver()
        let (request, requestOutcome) = driver.request(["rpc"], expectsReply: true)
        let (plain, _) = driver.request(["plain"])
        driver.submit([.publish(request), .publish(plain)])
        driver.loseConnection()
        let error = try #require(requestOutcome.failure)
        #expect(error.code == .connectionFailed)
        #expect(driver.written == ["rpc", "plain", "plain"])
    }

    @Test("a return recorded before the loss does not fail the republished message")
    func returnsAreVoidAfterLoss() {
        var driver = StateMachineDriver()
        let (publish, outcome) = driver.request(["m"], key: "k", mandatory: true)
        driver.submit([.publish(publish)])
        let matchedMOrders = driver.returned("m", exchange: "orders")
        #expect(matchedMOrders)
        driver.loseConnection()
        driver.ack(1)
        #expect(outcome.succeeded, "the new connection did not return it")
    }

    @Test("a flush survives recovery: it waits for the republished messages written before it")
    func flushSurvivesRecovery() {
        var driver = StateMachineDriver()
        let (publish, _) = driver.request(["a", "b"], awaited: false)
        let (flush, flushed) = driver.flushCommand()
        driver.submit([.publish(publish), flush])
        driver.ack(1)
        driver.loseConnection()
        #expect(flushed.isPending)
        driver.ack(1)
        #expect(flushed.succeeded, "'b' was republished as tag 1")
    }

    @Test("without recovery, or while closing, a lost connection terminates")
    func lossWithoutRecovery() {
        var off = StateMachineDriver(recovers: false)
        guard case .terminate(let error) = off.loseConnection() else {
            Issue.record("recovery is off: expected terminate")
            return
        }
        #expect(error.code == .connectionFailed && error.message.contains("test cut"))

        var closing = StateMachineDriver()
        closing.machine.close(deadline: closing.at(5), completion: { _ in })
        guard case .terminate = closing.loseConnection() else {
            Issue.record("closing: expected terminate")
            return
        }
    }

    @Test("a closed publish channel fails what was in flight, completes flushes and numbers confirms from 1 again")
    func publishChannelClosed() throws {
        var driver = StateMachineDriver()
        let (inFlight, inFlightOutcome) = driver.request(["a"])
        let (sent, _) = driver.request(["b"], awaited: false)
        let (flush, flushed) = driver.flushCommand()
        driver.submit([.publish(inFlight), .publish(sent), flush])
        let closed = MessageBusError(.brokerError, "channel 1 closed: 406 PRECONDITION_FAILED")
        driver.handle { $0.publishChannelClosed(closed, into: &$1) }
        #expect(inFlightOutcome.failure?.message == closed.message)
        #expect(try #require(flushed.failure).message == closed.message, "the failed send is the flush's error")
        let (next, nextOutcome) = driver.request(["c"])
        driver.submit([.publish(next)])
        driver.ack(1)
        #expect(nextOutcome.succeeded)
    }

    // MARK: Closing

    @Test("a close waits for the publishes in flight and completes once they are confirmed")
    func closeWaitsForConfirms() throws {
        var driver = StateMachineDriver()
        let (publish, _) = driver.request(["a"])
        driver.submit([.publish(publish)])
        driver.machine.close(deadline: driver.at(5), completion: { _ in })
        let whileInFlight = driver.machine.takeDueClose(now: driver.at(1), queueHoldsPublishes: false)
        #expect(whileInFlight == nil)
        driver.ack(1)
        let whileQueued = driver.machine.takeDueClose(now: driver.at(1), queueHoldsPublishes: true)
        #expect(whileQueued == nil, "the queue holds some")
        let afterConfirms = driver.machine.takeDueClose(now: driver.at(1), queueHoldsPublishes: false)
        let due = try #require(afterConfirms)
        guard case .success = due.result else {
            Issue.record("expected success, got \(due.result)")
            return
        }
        #expect(!driver.machine.isClosing)
    }

    @Test("a close while publishes wait (blocked) ends at its deadline with a timeout naming the unconfirmed")
    func closeWhilePublishesWait() throws {
        var driver = StateMachineDriver()
        let (written, writtenOutcome) = driver.request(["a"])
        driver.submit([.publish(written)])
        driver.handle { $0.blocked(reason: "alarm", into: &$1) }
        let (held, heldOutcome) = driver.request(["b"])
        driver.machine.enqueue([.publish(held)])
        driver.machine.hold([.close(deadline: driver.at(2), completion: { _ in })])
        #expect(driver.machine.isClosing, "a close among held control commands takes effect at once")
        driver.ack(1)
        #expect(writtenOutcome.succeeded)
        let beforeDeadline = driver.machine.takeDueClose(now: driver.at(1), queueHoldsPublishes: false)
        #expect(beforeDeadline == nil, "'b' waits")
        let atDeadline = driver.machine.takeDueClose(now: driver.at(2), queueHoldsPublishes: false)
        let due = try #require(atDeadline)
        guard case .failure(let error) = due.result else {
            Issue.record("expected a timeout, got \(due.result)")
            return
        }
        #expect(error.code == .timeout)
        driver.handle { $0.terminate(with: MessageBusError(.closed, "the RabbitMQ bus is closed"), into: &$1) }
        #expect(heldOutcome.failure?.code == .closed)
        #expect(driver.failedCommands.count == 1)
    }

    @Test("termination fails the window, flushes and held commands, and resumes a close in progress last")
    func terminationFailsEverything() throws {
        var driver = StateMachineDriver(confirmWindow: 1)
        let (written, writtenOutcome) = driver.request(["a"])
        let (held, heldOutcome) = driver.request(["b"])
        let (flush, flushed) = driver.flushCommand()
        driver.submit([.publish(written), .publish(held), flush])
        let readiness = RecordedOutcome()
        driver.machine.hold([.readiness({ readiness.record($0) })])
        #expect(driver.machine.hasRunnableCommand)
        let closed = RecordedOutcome()
        driver.machine.close(deadline: driver.at(1), completion: { closed.record($0) })
        #expect(driver.machine.closeDeadlinePassed(now: driver.at(2)))
        // A recovery that outlived the close's deadline ends the connection as closed.
        driver.handle { $0.terminate(with: MessageBusError(.closed, "the RabbitMQ bus is closed"), into: &$1) }
        #expect(writtenOutcome.failure?.code == .closed)
        #expect(heldOutcome.failure?.code == .closed)
        #expect(flushed.failure?.code == .closed)
        #expect(readiness.failure?.code == .closed)
        let closeError = try #require(closed.failure)
        #expect(closeError.code == .timeout && closeError.message.contains("1 messages"))
        #expect(driver.machine.isTerminated && !driver.machine.canPublish)
        driver.handle { $0.terminate(with: MessageBusError(.connectionFailed, "again"), into: &$1) }
        #expect(writtenOutcome.all.count == 1 && closed.all.count == 1, "terminating twice does nothing")
    }

    @Test("a connection failure during a close fails the close with that error")
    func failureDuringClose() throws {
        var driver = StateMachineDriver()
        let closed = RecordedOutcome()
        driver.machine.close(deadline: driver.at(5), completion: { closed.record($0) })
        let failure = MessageBusError(.connectionFailed, "the RabbitMQ connection was lost: gone")
        driver.handle { $0.terminate(with: failure, into: &$1) }
        #expect(try #require(closed.failure).message == failure.message)
    }

    // MARK: Owner bookkeeping

    @Test("a publish put back at the front runs first on the next connection")
    func requeuedPublishRunsFirst() {
        var driver = StateMachineDriver()
        let (first, _) = driver.request(["first"])
        let (second, _) = driver.request(["second"])
        driver.machine.enqueue([.publish(second)])
        driver.machine.requeueAtFront(.publish(first))
        driver.runLane()
        #expect(driver.written == ["first", "second"])
    }

    @Test("nothing is written while disconnected, and held control commands come back once")
    func disconnectedWritesNothing() {
        var driver = StateMachineDriver()
        let (request, _) = driver.request(["a"])
        driver.machine.reconnectionFailed()
        #expect(!driver.machine.shouldWrite(request))
        driver.machine.hold([.readiness({ _ in }), .readiness({ _ in })])
        let held = driver.machine.takeHeldControl()
        #expect(held.count == 2)
        let again = driver.machine.takeHeldControl()
        #expect(again.isEmpty)
    }

    @Test("a subscribe or repeatable topology request cut short by a lost connection is held for the recovered one, up to its attempts")
    func interruptedCommandsRunAgainAfterRecovery() throws {
        let subscribe = ConnectionCommand.subscribe(SubscribeRequest(
            subscriptionID: 7, source: .polling, prefetch: 10,
            inbox: RabbitMQInbox(tracksSettlement: true, prefetch: 10), completion: { _ in }))
        let declare = ConnectionCommand.topology(TopologyRequest(
            operation: .declareQueue(RabbitMQQueue("q", type: .quorum)), completion: { _ in }))
        for command in [subscribe, declare] {
            var driver = StateMachineDriver()
            var attempts = [Self.attempt(of: command)]
            var current = command
            while driver.machine.retryAfterRecovery(current) {
                let held = driver.machine.takeHeldControl()
                try #require(held.count == 1, "expected the command held alone, got \(held)")
                attempts.append(Self.attempt(of: held[0]))
                current = held[0]
            }
            #expect(attempts == Array(1...ConnectionCommand.attemptsAcrossConnections).map(Optional.some))
            let heldAfterLast = driver.machine.takeHeldControl()
            #expect(heldAfterLast.isEmpty, "the last attempt's failure goes to the caller")
        }

        var driver = StateMachineDriver()
        let purge = ConnectionCommand.topology(TopologyRequest(operation: .purgeQueue("q"), completion: { _ in }))
        let purgeRetried = driver.machine.retryAfterRecovery(purge)
        #expect(!purgeRetried, "a purge run twice would remove what was published in between")
        var withoutRecovery = StateMachineDriver(recovers: false)
        let retriedWithoutRecovery = withoutRecovery.machine.retryAfterRecovery(subscribe)
        #expect(!retriedWithoutRecovery)
        let heldWithoutRecovery = withoutRecovery.machine.takeHeldControl()
        #expect(heldWithoutRecovery.isEmpty)
    }

    private static func attempt(of command: ConnectionCommand) -> Int? {
        switch command {
        case .subscribe(let request): request.attempt
        case .topology(let request): request.attempt
        default: nil
        }
    }
}
