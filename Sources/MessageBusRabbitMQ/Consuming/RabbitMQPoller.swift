import MessageBus
import Synchronization

/// What `basic.get` needs on the async side: one polling channel's identity and inbox for the whole bus, and one
/// subscription context per queue polled (so deliveries name their queue and settle through the usual path).
final class RabbitMQPoller: Sendable {
    let request: SubscribeRequest
    private let contexts = Mutex<[String: SubscriptionContext]>([:])

    init(subscriptionID: UInt64, tracksSettlement: Bool) {
        self.request = SubscribeRequest(
            subscriptionID: subscriptionID, source: .polling, prefetch: 0,
            inbox: RabbitMQInbox(tracksSettlement: tracksSettlement), completion: { _ in })
    }

    /// The context of deliveries got from `queue`, made on first use.
    func context(for queue: String, make: () -> SubscriptionContext) -> SubscriptionContext {
        self.contexts.withLock { contexts in
            if let context = contexts[queue] { return context }
            let context = make()
            contexts[queue] = context
            return context
        }
    }
}
