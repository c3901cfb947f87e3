import MessageBus

extension AMQPConnectionStateMachine {
    /// What a close decided: the owner ends the consumers and the connection, then resumes the closer.
    struct DueClose {
        let completion: @Sendable (Result<Void, MessageBusError>) -> Void
        let result: Result<Void, MessageBusError>
    }

    /// The periodic check, with the current instant: fails the publishes and flushes whose deadline passed.
    ///
    /// A timed-out message already written stays in the window until its confirm (the broker numbers it), but its
    /// request is finished and is not republished by a recovery when its caller awaited it. A timed-out publish that
    /// had not started leaves the lane.
    mutating func expireDeadlines(now: ContinuousClock.Instant, into actions: inout [Action]) {
        for entry in self.window.elements {
            guard entry.request.deadline < now else { break }
            if !entry.request.isFinished {
                self.fail(entry.request, MessageBusError(
                    .timeout,
                    "RabbitMQ did not confirm the publish to '\(entry.request.exchange)' within \(self.settings.publishTimeout)"),
                    into: &actions)
            }
        }
        // Publishes wait in submission order, and every deadline is its submission time plus the same timeout, so
        // the waiting ones are looked at from the oldest until the first that has time left (this runs on every
        // turn, and thousands of sends may wait).
        let expired = self.publishLane.elements.lazy.compactMap(\.publishRequest).prefix { $0.deadline < now }
        if !expired.isEmpty {
            self.expireUnstarted(Array(expired), into: &actions)
            self.publishLane.removeAll { $0.publishRequest?.isFinished == true }
        }
        guard self.flushes.contains(where: { $0.deadline < now }) else { return }
        let error = MessageBusError(
            .timeout, "\(self.window.count) sent messages were not confirmed within \(self.settings.publishTimeout)")
        for flush in self.flushes where flush.deadline < now {
            actions.append(.resume(flush.completion, .failure(error)))
        }
        self.flushes.removeAll { $0.deadline < now }
    }

    /// Whether the publishes still in the ``CommandQueue`` are due for a deadline check (at most every 100 ms: the
    /// queue is shared with the callers).
    mutating func isQueueDeadlineCheckDue(now: ContinuousClock.Instant) -> Bool {
        if let last = self.lastQueuedDeadlineCheck, now - last <= .milliseconds(100) { return false }
        self.lastQueuedDeadlineCheck = now
        return true
    }

    /// Fails publishes whose deadline passed before they could start (taken out of the lane or the queue).
    mutating func expireUnstarted(_ requests: [PublishRequest], into actions: inout [Action]) {
        for request in requests where !request.isFinished {
            self.fail(request, MessageBusError(
                .timeout, "the publish to '\(request.exchange)' could not start within \(self.settings.publishTimeout)"),
                into: &actions)
        }
    }

    /// Whether a close's deadline passed (a recovery then gives up).
    func closeDeadlinePassed(now: ContinuousClock.Instant) -> Bool {
        guard let closing = self.closing else { return false }
        return now > closing.deadline
    }

    /// The close to finish now, if one is due: every publish is confirmed (none written, waiting or queued), or
    /// its deadline came. The machine forgets it; the owner terminates and then resumes the closer.
    ///
    /// - Parameter queueHoldsPublishes: Whether publishes still wait in the ``CommandQueue``.
    mutating func takeDueClose(now: ContinuousClock.Instant, queueHoldsPublishes: Bool) -> DueClose? {
        guard let closing = self.closing else { return nil }
        let pendingPublishes =
            !self.window.isEmpty || self.publishLane.elements.contains { $0.isPublish } || queueHoldsPublishes
        let timedOut = now >= closing.deadline
        guard !pendingPublishes || timedOut else { return nil }
        self.closing = nil
        let result: Result<Void, MessageBusError> =
            timedOut && pendingPublishes
            ? .failure(MessageBusError(
                .timeout,
                "closing the RabbitMQ bus: \(self.window.count) messages were still unconfirmed at the deadline"))
            : .success(())
        return DueClose(completion: closing.completion, result: result)
    }
}
