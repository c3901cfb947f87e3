import Synchronization

/// What billing did, across both brokers: which orders it billed, through which bus, and how often.
final class OrderLedger: Sendable {
    private struct State {
        var billed: [Int: [String]] = [:]
        var rejected: Set<Int> = []
    }

    private let state = Mutex(State())

    /// How many distinct orders were billed.
    var billedCount: Int { self.state.withLock { $0.billed.count } }
    /// The numbers of the orders billed.
    var billedNumbers: [Int] { self.state.withLock { Array($0.billed.keys) } }
    /// The orders billed more than once: what migration must never cause.
    var billedTwice: [Int] { self.state.withLock { $0.billed.filter { $0.value.count > 1 }.map(\.key) } }

    /// How many orders the service named `name` billed.
    func billedCount(by name: String) -> Int {
        self.state.withLock { $0.billed.values.filter { $0.first == name }.count }
    }

    func recordBilled(_ order: Order, by name: String) {
        self.state.withLock { $0.billed[order.number, default: []].append(name) }
    }

    func recordRejected(_ order: Order) {
        _ = self.state.withLock { $0.rejected.insert(order.number) }
    }

    /// Waits until `billed` distinct orders were billed and `rejected` refused, or throws after a minute.
    func waitUntil(billed: Int, rejected: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let done = self.state.withLock { $0.billed.count >= billed && $0.rejected.count >= rejected }
            if done { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        let (seen, refused) = self.state.withLock { ($0.billed.count, $0.rejected.count) }
        throw LedgerTimeout(expected: billed, billed: seen, refused: refused)
    }
}

/// The orders expected did not all arrive in time.
struct LedgerTimeout: Error, CustomStringConvertible {
    let expected: Int
    let billed: Int
    let refused: Int

    var description: String { "only \(self.billed) of \(self.expected) orders billed (\(self.refused) refused) after a minute" }
}
