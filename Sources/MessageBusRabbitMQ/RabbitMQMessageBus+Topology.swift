import MessageBus

/// The RabbitMQ routing model: exchanges of every type, queues with their arguments, bindings, deletes and
/// passive checks.
///
/// Each call is one request on the connection's topology channel, answered by the broker before it returns.
/// Declarations are idempotent and recorded: after a connection recovery, what was declared (and not deleted
/// since) is declared again, in the same order, before consumers restart. Publishing with
/// ``publish(contentsOf:to:options:)`` to an exchange declared here uses it as declared (a destination that was
/// not declared here becomes a topic exchange on first use).
extension RabbitMQMessageBus {
    /// Declares an exchange (`exchange.declare`).
    ///
    /// - Throws: ``/MessageBus/MessageBusError`` with `.invalidConfiguration` when it exists with other settings
    ///   (`PRECONDITION_FAILED`) or a name is too long, `.authenticationFailed` without the permission, and
    ///   `.closed` after ``close(deadline:)``.
    public func declare(_ exchange: RabbitMQExchange) async throws {
        try RabbitMQName.validate(exchange.name, role: "exchange")
        _ = try await self.runTopology(.declareExchange(exchange))
    }

    /// Declares a queue (`queue.declare`) and returns its name and counts.
    ///
    /// - Returns: The queue's status; its ``RabbitMQQueueStatus/name`` is the broker's choice for an empty name.
    /// - Throws: ``/MessageBus/MessageBusError`` with `.invalidConfiguration` for a setting out of range or a
    ///   queue that exists with other settings (`PRECONDITION_FAILED`), `.invalidConfiguration` for an exclusive
    ///   queue another connection owns (`RESOURCE_LOCKED`), and `.closed` after ``close(deadline:)``.
    @discardableResult
    public func declare(_ queue: RabbitMQQueue) async throws -> RabbitMQQueueStatus {
        try queue.validate()
        guard case .queue(let status) = try await self.runTopology(.declareQueue(queue)) else {
            throw MessageBusError(.brokerError, "declaring queue '\(queue.name)' returned no status")
        }
        return status
    }

    /// Binds a queue or an exchange to an exchange (`queue.bind` or `exchange.bind`).
    ///
    /// - Throws: ``/MessageBus/MessageBusError`` with `.unknownDestination` when either side does not exist
    ///   (`NOT_FOUND`).
    public func bind(_ binding: RabbitMQBinding) async throws {
        try Self.validate(binding)
        _ = try await self.runTopology(.bind(binding))
    }

    /// Removes a binding made with ``bind(_:)`` (`queue.unbind` or `exchange.unbind`); the same key and
    /// arguments identify it.
    ///
    /// - Throws: ``/MessageBus/MessageBusError`` with `.unknownDestination` when either side does not exist, and
    ///   `.closed` after ``close(deadline:)``. Removing a binding that does not exist is not an error.
    public func unbind(_ binding: RabbitMQBinding) async throws {
        try Self.validate(binding)
        _ = try await self.runTopology(.unbind(binding))
    }

    /// Whether an exchange exists (a passive `exchange.declare`). An exchange found here is then used as it is
    /// by ``publish(contentsOf:to:options:)``, whatever its type.
    ///
    /// - Throws: ``/MessageBus/MessageBusError`` with `.invalidConfiguration` for a name longer than 255 bytes,
    ///   `.authenticationFailed` without the permission, and `.closed` after ``close(deadline:)``.
    public func exchangeExists(_ name: String) async throws -> Bool {
        try RabbitMQName.validate(name, role: "exchange")
        do {
            _ = try await self.runTopology(.checkExchange(name))
            return true
        } catch let error as MessageBusError where error.code == .unknownDestination {
            return false
        }
    }

    /// A queue's ready messages and consumers (a passive `queue.declare`).
    ///
    /// - Throws: ``/MessageBus/MessageBusError`` with `.unknownDestination` when the queue does not exist.
    public func inspectQueue(_ name: String) async throws -> RabbitMQQueueStatus {
        try RabbitMQName.validate(name, role: "queue")
        guard case .queue(let status) = try await self.runTopology(.inspectQueue(name)) else {
            throw MessageBusError(.brokerError, "inspecting queue '\(name)' returned no status")
        }
        return status
    }

    /// Deletes an exchange (`exchange.delete`) and forgets it and its bindings for recovery.
    ///
    /// - Parameters:
    ///   - name: The exchange.
    ///   - ifUnused: Refuse (`.invalidConfiguration`, `PRECONDITION_FAILED`) while it has bindings.
    public func deleteExchange(_ name: String, ifUnused: Bool = false) async throws {
        try RabbitMQName.validate(name, role: "exchange")
        _ = try await self.runTopology(.deleteExchange(name, ifUnused: ifUnused))
    }

    /// Deletes a queue (`queue.delete`) with its messages; its consumers are cancelled (their subscriptions end
    /// with ``/MessageBus/MessageBusError/Code/unknownDestination``).
    ///
    /// - Parameters:
    ///   - name: The queue.
    ///   - ifUnused: Refuse while it has consumers.
    ///   - ifEmpty: Refuse while it holds messages.
    /// - Returns: How many messages were deleted with it.
    @discardableResult
    public func deleteQueue(_ name: String, ifUnused: Bool = false, ifEmpty: Bool = false) async throws -> Int {
        try RabbitMQName.validate(name, role: "queue")
        guard case .removed(let count) = try await self.runTopology(
            .deleteQueue(name, ifUnused: ifUnused, ifEmpty: ifEmpty))
        else { return 0 }
        return count
    }

    /// Removes a queue's ready messages (`queue.purge`); delivered, unacknowledged ones stay.
    ///
    /// - Returns: How many messages were removed.
    @discardableResult
    public func purgeQueue(_ name: String) async throws -> Int {
        try RabbitMQName.validate(name, role: "queue")
        guard case .removed(let count) = try await self.runTopology(.purgeQueue(name)) else { return 0 }
        return count
    }

    private func runTopology(_ operation: TopologyOperation) async throws -> TopologyOutcome {
        try self.ensureOpen()
        let done = AsyncOneShot<TopologyOutcome>()
        await self.queue.submit(.topology(TopologyRequest(operation: operation, completion: { done.fulfill($0) })))
        return try await done.value
    }

    private static func validate(_ binding: RabbitMQBinding) throws {
        try RabbitMQName.validate(binding.exchange, role: "exchange")
        try RabbitMQName.validate(binding.targetName, role: "binding target")
        guard binding.routingKey.utf8.count <= 255 else {
            throw MessageBusError.invalidConfiguration(
                key: "routingKey", value: "\(binding.routingKey.prefix(40))...",
                expected: "at most 255 bytes of UTF-8 (an AMQP short string)")
        }
    }
}
