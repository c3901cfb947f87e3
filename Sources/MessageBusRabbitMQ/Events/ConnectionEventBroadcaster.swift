import Synchronization

/// Hands connection events from the owner thread to every listener, without ever blocking that thread: each
/// listener's stream keeps the newest events up to a bound and drops older ones a slow listener did not read.
final class ConnectionEventBroadcaster: Sendable {
    /// How many unread events each listener keeps.
    static let bufferPerListener = 64

    private let listeners = Mutex<[UInt64: AsyncStream<RabbitMQConnectionEvent>.Continuation]?>([:])
    private let nextID = Atomic<UInt64>(0)
    private let blocked = Atomic(false)

    /// Whether the broker blocked the connection (`connection.blocked`, not yet `unblocked` nor lost since): it may
    /// have stopped reading the connection, so a request would wait on it, for the request timeout at worst.
    var isBlocked: Bool { self.blocked.load(ordering: .relaxed) }

    /// A new listener's stream; it ends when the bus is closed or the listener stops iterating.
    func stream() -> AsyncStream<RabbitMQConnectionEvent> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: RabbitMQConnectionEvent.self, bufferingPolicy: .bufferingNewest(Self.bufferPerListener))
        let id = self.nextID.add(1, ordering: .relaxed).oldValue
        let added = self.listeners.withLock { listeners -> Bool in
            guard listeners != nil else { return false }
            listeners![id] = continuation
            return true
        }
        guard added else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            self?.listeners.withLock { _ = $0?.removeValue(forKey: id) }
        }
        return stream
    }

    func emit(_ event: RabbitMQConnectionEvent) {
        switch event {
        case .blocked: self.blocked.store(true, ordering: .relaxed)
        case .unblocked, .connectionLost, .recovered: self.blocked.store(false, ordering: .relaxed)
        default: break
        }
        let continuations = self.listeners.withLock { $0.map { Array($0.values) } ?? [] }
        for continuation in continuations { continuation.yield(event) }
    }

    /// Ends every stream; later listeners get an empty stream.
    func finish() {
        let continuations = self.listeners.withLock { listeners in
            defer { listeners = nil }
            return listeners.map { Array($0.values) } ?? []
        }
        for continuation in continuations { continuation.finish() }
    }
}
