import Foundation
import Logging
import MessageBus

extension AMQPConnectionOwner {
    /// Tries every endpoint in order and opens the fixed channels on the first that accepts.
    ///
    /// - Throws: the most telling error: refused credentials or vhost win over an unreachable node.
    func connectToFirstAvailable() throws {
        var errors: [MessageBusError] = []
        for endpoint in self.configuration.endpoints {
            do {
                let session = try AMQPSession(
                    endpoint: endpoint, configuration: self.configuration, connectionName: self.connectionName)
                self.session = session
                try self.openFixedChannels()
                self.logger.debug("connected to RabbitMQ", metadata: ["endpoint": "\(endpoint)"])
                return
            } catch let error as MessageBusError {
                self.session = nil
                errors.append(error)
            } catch let failure as AMQPFailure {
                self.session = nil
                errors.append(failure.messageBusError("opening channels on \(endpoint)"))
            }
        }
        let telling = errors.first { $0.code == .authenticationFailed || $0.code == .invalidConfiguration }
        guard let error = telling ?? errors.last else {
            throw MessageBusError(.invalidConfiguration, "no RabbitMQ endpoint is configured")
        }
        if errors.count > 1 {
            throw MessageBusError(
                error.code, "\(error.message) (tried \(self.configuration.endpoints.map(\.description)))",
                underlying: error)
        }
        throw error
    }

    private func openFixedChannels() throws {
        guard let session = self.session else { return }
        try session.openChannel(Self.publishChannel)
        try session.selectConfirms(Self.publishChannel)
        try session.openChannel(Self.topologyChannel)
        self.nextSequence = 1
        self.declaredExchanges.removeAll()
        self.isBlocked = false
    }

    /// The connection broke: forget everything tied to it, then recover (or give up when recovery is off).
    func connectionLost(_ error: any Error) {
        let reason = (error as? AMQPFailure)?.description ?? "\(error)"
        self.session?.abandon()
        self.session = nil
        self.publishChannelAssembly = nil
        self.arrived.removeAll()
        self.outOfOrderConfirms.removeAll()
        // Returns are keyed by sequence numbers that recovery reassigns; a republished message is returned again.
        self.returns.removeAll()
        for consumer in self.consumers.values {
            consumer.resetChannel()
            // A stream consumer resumes at the first message the application has not been handed yet.
            if let firstDropped = consumer.request.inbox.connectionLost() { consumer.nextStreamOffset = firstDropped }
        }
        self.consumerByChannel.removeAll()
        self.events.emit(.connectionLost(reason: reason))
        let replyLost = MessageBusError(
            .connectionFailed, "the RabbitMQ connection was lost before the reply came (the request may have been "
                + "processed): \(reason)")
        self.failPendingReplies(replyLost)
        // Finished requests are not republished by recovery: their reply could not reach the new connection.
        for entry in self.window.elements where entry.request.expectsReply { self.fail(entry.request, replyLost) }
        guard self.configuration.recovery.isEnabled, self.closing == nil else {
            self.logger.info("RabbitMQ connection lost; not recovering", metadata: ["reason": "\(reason)"])
            self.terminate(with: MessageBusError(.connectionFailed, "the RabbitMQ connection was lost: \(reason)"))
            return
        }
        self.logger.info(
            "RabbitMQ connection lost; recovering",
            metadata: ["reason": "\(reason)", "unconfirmed": "\(self.window.count)", "consumers": "\(self.consumers.count)"])
        self.recover(after: reason)
    }

    /// Reconnects with exponential backoff across the endpoints, then restores channels, topology, consumers and
    /// the unconfirmed publishes. Gives up (failing everything) after the policy's limit or at close's deadline.
    private func recover(after reason: String) {
        let policy = self.configuration.recovery
        let started = ContinuousClock.now
        var backoff = policy.initialBackoff
        var attempt = 0
        while !self.isTerminated {
            attempt += 1
            do {
                try self.connectToFirstAvailable()
                try self.restoreAfterReconnect()
                self.logger.info(
                    "RabbitMQ connection recovered",
                    metadata: [
                        "attempts": "\(attempt)", "endpoint": "\(self.session?.endpoint.description ?? "?")",
                        "republished": "\(self.window.count)", "consumers": "\(self.consumers.count)",
                    ])
                if let endpoint = self.session?.endpoint {
                    self.events.emit(.recovered(endpoint: endpoint, attempts: attempt, republished: self.window.count))
                }
                return
            } catch {
                self.session?.abandon()
                self.session = nil
                self.logger.debug("RabbitMQ reconnection failed", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
            }
            let now = ContinuousClock.now
            if let limit = policy.giveUpAfter, now - started > limit {
                self.terminate(with: MessageBusError(
                    .connectionFailed, "RabbitMQ could not be reached again within \(limit) after: \(reason)"))
                return
            }
            if let closing = self.closing, now > closing.deadline {
                self.terminate(with: MessageBusError.closed("the RabbitMQ bus"))
                return
            }
            self.sleepDuringRecovery(backoff)
            backoff = min(backoff * 2, policy.maximumBackoff)
        }
    }

    /// Waits `duration` while still taking commands (a close must be seen) and expiring deadlines.
    private func sleepDuringRecovery(_ duration: Duration) {
        let end = ContinuousClock.now + duration
        while ContinuousClock.now < end {
            self.waitForActivity(maximum: min(.milliseconds(250), end - ContinuousClock.now))
            self.heldControl.append(contentsOf: self.queue.takeControl())
            self.takeCloseFromHeldControl()
            self.expireDeadlines()
        }
    }

    /// A close queued during recovery takes effect at once; the other commands wait for the connection (and
    /// publishes wait in the queue's lane).
    private func takeCloseFromHeldControl() {
        self.heldControl.removeAll { command in
            guard case .close(let deadline, let completion) = command else { return false }
            self.closing = (deadline, completion)
            return true
        }
    }

    private func restoreAfterReconnect() throws {
        guard let session = self.session else { return }
        for entry in self.topology.entries {
            do {
                try self.declare(entry, session: session)
            } catch let failure as AMQPFailure {
                // One refused entry must not stop the recovery of the rest (and of consumers and publishes).
                guard case .channelClosed = failure else { throw failure }
                try self.reopenTopologyChannel()
                self.logger.warning(
                    "RabbitMQ refused to declare again after recovery",
                    metadata: ["entry": "\(entry)", "reason": "\(failure)"])
                self.events.emit(.topologyNotRestored(entry: "\(entry)", reason: "\(failure)"))
            }
        }
        for consumer in self.consumers.values.sorted(by: { $0.request.subscriptionID < $1.request.subscriptionID }) {
            do {
                try self.startConsumer(consumer, declareGroupQueue: false)
            } catch let failure as AMQPFailure {
                if case .connectionLost = failure { throw failure }
                self.consumerEndedByBroker(consumer, error: failure.messageBusError("re-consuming after recovery"))
            }
        }
        // Republish what was not confirmed, in the original order, under new sequence numbers.
        let unconfirmed = self.window.removeAll()
        for var entry in unconfirmed where !entry.request.isFinished || !entry.request.isAwaited {
            entry.sequence = self.nextSequence
            self.nextSequence += 1
            self.window.append(entry)
        }
        for entry in self.window.elements {
            let status = self.publisher.publish(
                entry.request, index: entry.index, state: session.state, channel: Self.publishChannel)
            if status != 0 { throw AMQPFailure.status(status, "basic.publish (republishing)") }
        }
    }

    /// Finishes a close once every publish is confirmed, or at its deadline.
    func progressClose() throws {
        guard let closing = self.closing else { return }
        let pendingPublishes =
            !self.window.isEmpty || self.publishLane.elements.contains { $0.isPublish } || self.queue.hasQueuedPublishes
        let timedOut = ContinuousClock.now >= closing.deadline
        guard !pendingPublishes || timedOut else { return }
        let unconfirmed = self.window.count
        for subscriptionID in Array(self.consumers.keys) { try? self.cancelConsumer(subscriptionID) }
        self.session?.close()
        self.session = nil
        self.terminate(with: MessageBusError.closed("the RabbitMQ bus"))
        closing.completion(
            timedOut && pendingPublishes
                ? .failure(MessageBusError(
                    .timeout, "closing the RabbitMQ bus: \(unconfirmed) messages were still unconfirmed at the deadline"))
                : .success(()))
        self.closing = nil
    }

    /// Stops the owner: every pending caller fails with `error`, every subscription ends.
    func terminate(with error: MessageBusError) {
        guard !self.isTerminated else { return }
        self.isTerminated = true
        if error.code != .closed { self.events.emit(.recoveryFailed(error)) }
        self.failPendingReplies(error)
        self.events.finish()
        for entry in self.window.removeAll() { self.fail(entry.request, error) }
        for flush in self.flushes { flush.completion(.failure(error)) }
        self.flushes.removeAll()
        for consumer in self.consumers.values {
            consumer.request.inbox.end(error: error.code == .closed ? nil : error)
        }
        self.consumers.removeAll()
        self.consumerByChannel.removeAll()
        let held = self.heldControl
        self.heldControl.removeAll()
        for command in self.publishLane.removeAll() + held + self.queue.close(with: error) {
            command.fail(error)
        }
        self.session?.abandon()
        self.session = nil
        if let closing = self.closing, error.code != .closed {
            closing.completion(.failure(error))
            self.closing = nil
        }
    }
}
