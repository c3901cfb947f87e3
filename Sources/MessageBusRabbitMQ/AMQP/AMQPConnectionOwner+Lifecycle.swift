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
        self.machine.connectionOpened()
        self.declaredExchanges.removeAll()
    }

    /// The connection broke: forget everything tied to it, then recover (or give up when recovery is off).
    func connectionLost(_ error: any Error) {
        let reason = (error as? AMQPFailure)?.description ?? "\(error)"
        self.session?.abandon()
        self.session = nil
        self.publishChannelAssembly = nil
        self.arrived.removeAll()
        self.consumerAssemblies.removeAll()
        for consumer in self.machine.consumers.consumers.values {
            // A stream consumer resumes at the first message the application has not been handed yet.
            if let firstDropped = consumer.request.inbox.connectionLost() {
                self.machine.consumers.resumeStream(consumer.subscriptionID, at: firstDropped)
            }
        }
        let replyLost = MessageBusError(
            .connectionFailed, "the RabbitMQ connection was lost before the reply came (the request may have been "
                + "processed): \(reason)")
        // Requests awaiting a reply fail (their reply could not reach the new connection) and are not republished.
        let next = self.machine.connectionLost(reason: reason, replyLost: replyLost, into: &self.actions)
        try? self.performActions()
        self.failPendingReplies(replyLost)
        if case .terminate(let error) = next {
            self.logger.info("RabbitMQ connection lost; not recovering", metadata: ["reason": "\(reason)"])
            self.terminate(with: error)
            return
        }
        self.logger.info(
            "RabbitMQ connection lost; recovering",
            metadata: [
                "reason": "\(reason)", "unconfirmed": "\(self.machine.unconfirmedCount)",
                "consumers": "\(self.machine.consumers.consumers.count)",
            ])
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
                let republished = try self.restoreAfterReconnect()
                self.logger.info(
                    "RabbitMQ connection recovered",
                    metadata: [
                        "attempts": "\(attempt)", "endpoint": "\(self.session?.endpoint.description ?? "?")",
                        "republished": "\(republished)", "consumers": "\(self.machine.consumers.consumers.count)",
                    ])
                if let endpoint = self.session?.endpoint {
                    self.events.emit(.recovered(endpoint: endpoint, attempts: attempt, republished: republished))
                }
                return
            } catch {
                self.session?.abandon()
                self.session = nil
                self.machine.reconnectionFailed()
                self.logger.debug("RabbitMQ reconnection failed", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
            }
            let now = ContinuousClock.now
            if let limit = policy.giveUpAfter, now - started > limit {
                self.terminate(with: MessageBusError(
                    .connectionFailed, "RabbitMQ could not be reached again within \(limit) after: \(reason)"))
                return
            }
            if self.machine.closeDeadlinePassed(now: now) {
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
            // A close queued during recovery takes effect at once; the other commands wait for the connection
            // (and publishes wait in the queue's lane).
            self.machine.hold(self.queue.takeControl())
            self.expireDeadlines()
        }
    }

    /// Declares the recorded topology again, restarts the consumers and republishes the unconfirmed messages;
    /// returns how many were republished.
    private func restoreAfterReconnect() throws -> Int {
        guard let session = self.session else { return 0 }
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
        for consumer in self.machine.consumers.consumersToRestart {
            do {
                try self.startConsumer(consumer.request, declareGroupQueue: false)
            } catch let failure as AMQPFailure {
                if case .connectionLost = failure { throw failure }
                if let ended = self.machine.consumers.remove(consumer.subscriptionID) {
                    self.consumerEndedByBroker(ended, error: failure.messageBusError("re-consuming after recovery"))
                }
            }
        }
        // Republish what was not confirmed, in the original order, under new sequence numbers.
        let republished = self.machine.republishUnconfirmed(into: &self.actions)
        try self.performActions()
        return republished
    }

    /// Finishes a close once every publish is confirmed, or at its deadline.
    func progressClose() throws {
        let queueHoldsPublishes = self.queue.hasQueuedPublishes
        guard let close = self.machine.takeDueClose(now: .now, queueHoldsPublishes: queueHoldsPublishes) else { return }
        for subscriptionID in Array(self.machine.consumers.consumers.keys) { try? self.cancelConsumer(subscriptionID) }
        self.session?.close()
        self.session = nil
        self.terminate(with: MessageBusError.closed("the RabbitMQ bus"))
        close.completion(close.result)
    }

    /// Stops the owner: every pending caller fails with `error`, every subscription ends; a close in progress is
    /// resumed last.
    func terminate(with error: MessageBusError) {
        guard !self.isTerminated else { return }
        if error.code != .closed { self.events.emit(.recoveryFailed(error)) }
        self.failPendingReplies(error)
        self.events.finish()
        self.machine.terminate(with: error, into: &self.actions)
        self.consumerAssemblies.removeAll()
        for command in self.queue.close(with: error) { command.fail(error) }
        self.session?.abandon()
        self.session = nil
        try? self.performActions()
    }
}
