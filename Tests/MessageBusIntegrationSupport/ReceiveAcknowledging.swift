package import MessageBus

/// Receives from `subscription` until `count` deliveries have arrived, acknowledging each batch, and returns their
/// message ids in the order received; throws ``EventuallyTimedOut`` (naming what arrived, and where it was called)
/// when a receive waits `timeout` for nothing.
package func receiveAcknowledging(
    _ count: Int, from subscription: Subscription, timeout: Duration = .seconds(20),
    fileID: String = #fileID, line: Int = #line
) async throws -> [String] {
    var ids: [String] = []
    var receives = 0
    while ids.count < count {
        receives += 1
        let batch = try await subscription.receive(max: count - ids.count, timeout: timeout)
        guard !batch.isEmpty else {
            throw EventuallyTimedOut(
                what: "\(count) deliveries (received \(ids))", timeout: timeout, checks: receives,
                location: "\(fileID):\(line)")
        }
        ids += batch.map(\.message.id)
        try await batch.ackAll()
    }
    return ids
}
