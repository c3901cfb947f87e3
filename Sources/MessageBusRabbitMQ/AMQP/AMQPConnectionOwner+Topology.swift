import Logging
import MessageBus

/// A topology request of the application, run on the topology channel.
enum TopologyOperation: Sendable {
    case declareExchange(RabbitMQExchange)
    case declareQueue(RabbitMQQueue)
    /// A passive `exchange.declare`: fails with `NOT_FOUND` when the exchange does not exist.
    case checkExchange(String)
    /// A passive `queue.declare`: the queue's counts, or `NOT_FOUND`.
    case inspectQueue(String)
    case bind(RabbitMQBinding)
    case unbind(RabbitMQBinding)
    case deleteExchange(String, ifUnused: Bool)
    case deleteQueue(String, ifUnused: Bool, ifEmpty: Bool)
    case purgeQueue(String)

    /// Whether running the operation again after it may have run once changes nothing more: declares, binds and
    /// checks. A delete or purge is not: its count, or what was published since, would be wrong the second time.
    var isRepeatable: Bool {
        switch self {
        case .declareExchange, .declareQueue, .checkExchange, .inspectQueue, .bind, .unbind: true
        case .deleteExchange, .deleteQueue, .purgeQueue: false
        }
    }

    /// The operation in words, for errors.
    var summary: String {
        switch self {
        case .declareExchange(let exchange): "declaring \(exchange.type) exchange '\(exchange.name)'"
        case .declareQueue(let queue): "declaring \(queue.type.rawValue) queue '\(queue.name)'"
        case .checkExchange(let name): "checking exchange '\(name)'"
        case .inspectQueue(let name): "inspecting queue '\(name)'"
        case .bind(let binding): "binding \(binding.target) to exchange '\(binding.exchange)'"
        case .unbind(let binding): "unbinding \(binding.target) from exchange '\(binding.exchange)'"
        case .deleteExchange(let name, _): "deleting exchange '\(name)'"
        case .deleteQueue(let name, _, _): "deleting queue '\(name)'"
        case .purgeQueue(let name): "purging queue '\(name)'"
        }
    }
}

/// What a topology operation answers.
enum TopologyOutcome: Sendable {
    case done
    case queue(RabbitMQQueueStatus)
    /// The messages a delete or purge removed.
    case removed(Int)
}

extension AMQPConnectionOwner {
    /// Declares a destination (a durable topic exchange) unless this connection already did, or the application
    /// declared an exchange of that name itself (whatever its type). The default exchange and RabbitMQ's own
    /// `amq.` exchanges always exist.
    func ensureExchange(_ name: String, channel: UInt16) throws {
        guard !self.declaredExchanges.contains(name), let session = self.session else { return }
        if name.isEmpty || name.hasPrefix("amq.") || self.topology.hasExchange(name) {
            self.declaredExchanges.insert(name)
            return
        }
        try session.declareExchange(channel, name: name, type: RabbitMQExchangeType.topic.rawValue, durable: true)
        self.declaredExchanges.insert(name)
        self.topology.record(.destination(name))
    }

    /// The arguments of a group queue.
    var groupQueueArguments: AMQPArguments {
        var arguments = AMQPArguments()
        if self.configuration.groupQueueType == .quorum { arguments.entries = [("x-queue-type", .text("quorum"))] }
        return arguments
    }

    /// Runs an application's topology request; a channel error fails only the request (the topology channel is
    /// reopened), a lost connection is thrown to the loop (and a repeatable request runs again after recovery).
    func runTopology(_ request: TopologyRequest) throws {
        guard self.session != nil else {
            request.completion(.failure(MessageBusError(.connectionFailed, "RabbitMQ is not connected (recovering)")))
            return
        }
        let operation = request.operation
        do {
            request.completion(.success(try self.perform(operation)))
        } catch let failure as AMQPFailure {
            switch failure {
            case .channelClosed:
                request.completion(.failure(failure.messageBusError(operation.summary)))
                try self.reopenTopologyChannel()
            case .connectionLost:
                if self.machine.retryAfterRecovery(.topology(request)) {
                    self.logRetryAfterRecovery(operation.summary, attempt: request.attempt, failure)
                } else {
                    request.completion(.failure(failure.messageBusError(operation.summary)))
                }
                throw failure
            }
        }
    }

    private func perform(_ operation: TopologyOperation) throws -> TopologyOutcome {
        guard let session = self.session else { throw AMQPFailure.connectionLost(code: nil, text: "not connected") }
        let channel = Self.topologyChannel
        switch operation {
        case .declareExchange(let exchange):
            try self.declare(.exchange(exchange), session: session)
            self.declaredExchanges.insert(exchange.name)
            self.topology.record(.exchange(exchange))
            return .done
        case .declareQueue(let queue):
            let status = try session.declareQueue(
                channel, name: queue.name, durable: queue.durable, exclusive: queue.exclusive,
                autoDelete: queue.autoDelete, arguments: AMQPArguments(queue.declareArguments))
            if queue.name.isEmpty { self.topology.noteServerNamed(status.name) }
            self.topology.record(.queue(queue))
            return .queue(status)
        case .checkExchange(let name):
            try session.declareExchange(channel, name: name, type: "", durable: false, passive: true)
            self.declaredExchanges.insert(name)
            return .done
        case .inspectQueue(let name):
            return .queue(try session.declareQueue(
                channel, name: name, durable: false, exclusive: false, autoDelete: false, passive: true))
        case .bind(let binding):
            try self.declare(.binding(binding), session: session)
            self.topology.record(.binding(binding))
            return .done
        case .unbind(let binding):
            try self.unbind(binding, session: session)
            self.topology.forget(binding)
            return .done
        case .deleteExchange(let name, let ifUnused):
            try session.deleteExchange(channel, name: name, ifUnused: ifUnused)
            self.declaredExchanges.remove(name)
            self.topology.forgetExchange(name)
            return .done
        case .deleteQueue(let name, let ifUnused, let ifEmpty):
            let removed = try session.deleteQueue(channel, name: name, ifUnused: ifUnused, ifEmpty: ifEmpty)
            self.topology.forgetQueue(name)
            return .removed(removed)
        case .purgeQueue(let name):
            return .removed(try session.purgeQueue(channel, name: name))
        }
    }

    /// Declares one recorded entry on the topology channel: for an application request and again on recovery.
    func declare(_ entry: RecordedTopology.Entry, session: AMQPSession) throws {
        let channel = Self.topologyChannel
        switch entry {
        case .destination(let name):
            try session.declareExchange(channel, name: name, type: RabbitMQExchangeType.topic.rawValue, durable: true)
            self.declaredExchanges.insert(name)
        case .groupQueue(let queue, let destination):
            _ = try session.declareQueue(
                channel, name: queue, durable: true, exclusive: false, autoDelete: false,
                arguments: self.groupQueueArguments)
            try session.bindQueue(channel, queue: queue, exchange: destination, routingKey: "#")
        case .exchange(let exchange):
            try session.declareExchange(
                channel, name: exchange.name, type: exchange.type.rawValue, durable: exchange.durable,
                autoDelete: exchange.autoDelete, isInternal: exchange.isInternal,
                arguments: AMQPArguments(exchange.declareArguments))
            self.declaredExchanges.insert(exchange.name)
        case .queue(let queue):
            _ = try session.declareQueue(
                channel, name: queue.name, durable: queue.durable, exclusive: queue.exclusive,
                autoDelete: queue.autoDelete, arguments: AMQPArguments(queue.declareArguments))
        case .binding(let binding):
            let arguments = AMQPArguments(binding.arguments)
            switch binding.target {
            case .queue(let queue):
                try session.bindQueue(
                    channel, queue: queue, exchange: binding.exchange, routingKey: binding.routingKey,
                    arguments: arguments)
            case .exchange(let destination):
                try session.bindExchange(
                    channel, destination: destination, source: binding.exchange, routingKey: binding.routingKey,
                    arguments: arguments, unbind: false)
            }
        }
    }

    private func unbind(_ binding: RabbitMQBinding, session: AMQPSession) throws {
        let arguments = AMQPArguments(binding.arguments)
        switch binding.target {
        case .queue(let queue):
            try session.bindQueue(
                Self.topologyChannel, queue: queue, exchange: binding.exchange, routingKey: binding.routingKey,
                arguments: arguments, unbind: true)
        case .exchange(let destination):
            try session.bindExchange(
                Self.topologyChannel, destination: destination, source: binding.exchange,
                routingKey: binding.routingKey, arguments: arguments, unbind: true)
        }
    }
}

extension AMQPConnectionOwner {
    /// Says that `what`, cut short by the lost connection, runs again once it is recovered.
    func logRetryAfterRecovery(_ what: String, attempt: Int, _ failure: AMQPFailure) {
        self.logger.warning(
            "RabbitMQ connection lost during a request; it runs again after recovery",
            metadata: ["request": "\(what)", "attempt": "\(attempt)", "reason": "\(failure)"])
    }
}
