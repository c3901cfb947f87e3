import MessageBus

/// The service being migrated: bills each order of `destination`, as group `billing`, on one bus.
struct BillingService {
    static let group = "billing"

    private let task: Task<Void, any Error>

    /// Subscribes (so that the group exists before anything is published) and bills in the background.
    static func start(
        on bus: any MessageBus, destination: String, name: String, ledger: OrderLedger
    ) async throws -> BillingService {
        let subscription = try await bus.subscribe(to: destination, group: Self.group)
        let task = Task {
            try await subscription.process(Order.self, retry: .deadLetterImmediately) { order, _ in
                guard order.amountCents >= 0 else {
                    ledger.recordRejected(order)
                    throw UnbillableOrder(order: order)
                }
                ledger.recordBilled(order, by: name)
            }
        }
        return BillingService(task: task)
    }

    /// Stops consuming; what this instance had not settled goes back to the group.
    func stop() async {
        self.task.cancel()
        _ = await self.task.result
    }
}
