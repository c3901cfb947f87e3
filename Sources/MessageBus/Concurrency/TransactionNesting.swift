import Synchronization

/// Refuses a transaction started inside the body of another transaction of the same bus.
///
/// A bus runs its transactions one at a time, so an inner `withTransaction` would wait for the outer one, which
/// waits for its body, which waits for the inner one: a deadlock. Each bus owns one `TransactionNesting`; the
/// transactions running in a task (and the tasks it starts while they run) are a task-local list, and a
/// transaction that finds one of its own bus still running in that list throws at once.
package final class TransactionNesting: Sendable {
    /// A transaction a task runs inside; it stays in the task-local list of the tasks started from its body after
    /// it ends, so it says whether it still runs.
    private final class Running: Sendable {
        let owner: TransactionNesting
        private let ended = Atomic(false)

        init(owner: TransactionNesting) { self.owner = owner }

        var isRunning: Bool { !self.ended.load(ordering: .acquiring) }
        func end() { self.ended.store(true, ordering: .releasing) }
    }

    @TaskLocal private static var running: [Running] = []

    package init() {}

    /// Runs `transaction`, which runs the user's body, unless the current task already runs inside a transaction
    /// of this bus.
    ///
    /// - Throws: ``MessageBusError/Code/unsupported`` for a nested transaction, or what `transaction` throws.
    package func run<Result: Sendable>(_ transaction: () async throws -> Result) async throws -> Result {
        let enclosing = Self.running
        if enclosing.contains(where: { $0.owner === self && $0.isRunning }) {
            throw MessageBusError(
                .unsupported,
                "withTransaction was called inside the body of another withTransaction of the same bus, which would "
                    + "wait for it forever; publish and acknowledge through the outer transaction instead")
        }
        let entry = Running(owner: self)
        defer { entry.end() }
        return try await Self.$running.withValue(enclosing + [entry]) { try await transaction() }
    }
}
