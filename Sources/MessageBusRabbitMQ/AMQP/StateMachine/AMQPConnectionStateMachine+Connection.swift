import MessageBus

extension AMQPConnectionStateMachine {
    /// What to do after the connection was lost.
    enum AfterLoss {
        /// Reconnect, then restore and republish (``republishUnconfirmed(into:)``).
        case recover
        /// Recovery is off or a close is in progress: terminate with this error.
        case terminate(MessageBusError)
    }

    /// A session is open with its publish channel in confirm mode: the broker numbers confirms from 1 again, and a
    /// new connection starts unblocked.
    mutating func connectionOpened() {
        self.isConnected = true
        self.isBlocked = false
        self.nextSequence = 1
    }

    /// A reconnection attempt failed after opening a session (its channels or restore failed): not connected.
    mutating func reconnectionFailed() {
        self.isConnected = false
    }

    /// The connection broke. Confirms and returns pending on it are void (they were numbered on its channel); the
    /// unconfirmed messages stay in the window to be republished, except requests awaiting a reply, which could not
    /// reach a new connection and fail with `replyLost`. Every consumer channel is gone with its unsettled tags; the
    /// subscriptions stay, to be restarted.
    mutating func connectionLost(
        reason: String, replyLost: MessageBusError, into actions: inout [Action]
    ) -> AfterLoss {
        self.isConnected = false
        self.consumers.connectionLost()
        self.outOfOrderConfirms.removeAll()
        // Returns are keyed by sequence numbers that recovery reassigns; a republished message is returned again.
        self.returns.removeAll()
        actions.append(.emit(.connectionLost(reason: reason)))
        for entry in self.window.elements where entry.request.expectsReply {
            self.fail(entry.request, replyLost, into: &actions)
        }
        guard self.settings.recoversConnection, self.closing == nil else {
            return .terminate(MessageBusError(.connectionFailed, "the RabbitMQ connection was lost: \(reason)"))
        }
        return .recover
    }

    /// After a reconnection (``connectionOpened()``): renumbers the unconfirmed messages from 1, in their original
    /// order, and asks for them to be written again. A message whose caller stopped waiting (timed out) is dropped;
    /// one from `send` is kept, as its failure or success is reported by a flush. Returns how many are republished.
    @discardableResult
    mutating func republishUnconfirmed(into actions: inout [Action]) -> Int {
        let unconfirmed = self.window.removeAll()
        for var entry in unconfirmed where !entry.request.isFinished || !entry.request.isAwaited {
            entry.sequence = self.nextSequence
            self.nextSequence += 1
            self.window.append(entry)
        }
        if !self.window.isEmpty { actions.append(.rewriteWindow) }
        return self.window.count
    }

    /// The broker closed the publish channel: the confirms of everything in flight died with it, so those
    /// messages fail rather than be guessed at. The owner reopens the channel in confirm mode (numbered from 1).
    mutating func publishChannelClosed(_ error: MessageBusError, into actions: inout [Action]) {
        for entry in self.window.removeAll() { self.fail(entry.request, error, into: &actions) }
        self.outOfOrderConfirms.removeAll()
        self.returns.removeAll()
        self.completeFlushes(into: &actions)
        self.nextSequence = 1
    }

    /// `connection.blocked`: publishing waits (held, never written to a broker that reads nothing).
    mutating func blocked(reason: String, into actions: inout [Action]) {
        self.isBlocked = true
        actions.append(.emit(.blocked(reason: reason)))
    }

    /// `connection.unblocked`: publishing resumes.
    mutating func unblocked(into actions: inout [Action]) {
        self.isBlocked = false
        actions.append(.emit(.unblocked))
    }

    /// The connection gave up (or closed): every publish, flush and held command fails with `error`, and every
    /// subscription ends (with `error`, unless the bus was closed). A close in progress is resumed last: with
    /// `error` when the connection failed, or, when it ended at the close's own deadline during a recovery, with a
    /// timeout naming the messages left unconfirmed. (The owner emits `recoveryFailed` itself, before it finishes
    /// the event stream.)
    mutating func terminate(with error: MessageBusError, into actions: inout [Action]) {
        guard !self.isTerminated else { return }
        self.isTerminated = true
        self.isConnected = false
        let unconfirmed = self.window.count
        for entry in self.window.removeAll() { self.fail(entry.request, error, into: &actions) }
        for flush in self.flushes { actions.append(.resume(flush.completion, .failure(error))) }
        self.flushes.removeAll()
        for command in self.publishLane.removeAll() + self.heldControl {
            actions.append(.failCommand(command, error))
        }
        self.heldControl.removeAll()
        for consumer in self.consumers.terminate() {
            actions.append(.endSubscription(consumer.request.inbox, error.code == .closed ? nil : error))
        }
        if let closing = self.closing {
            self.closing = nil
            let result: Result<Void, MessageBusError> =
                if error.code != .closed {
                    .failure(error)
                } else if unconfirmed > 0 {
                    .failure(MessageBusError(
                        .timeout, "closing the RabbitMQ bus: \(unconfirmed) messages were still unconfirmed at the deadline"))
                } else {
                    .success(())
                }
            actions.append(.resume(closing.completion, result))
        }
    }
}
