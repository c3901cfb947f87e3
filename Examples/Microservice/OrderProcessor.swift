import Logging
import MessageBus
import ServiceLifecycle

/// Turns each order into an invoice: decode, publish the invoice, then acknowledge the order (at-least-once: a
/// crash between the two publishes the invoice again on redelivery, never loses it).
struct OrderProcessor: Service {
    let bus: any MessageBus
    let orders: Subscription
    let invoicesDestination: String
    let logger: Logger
    /// How many orders were invoiced, read once the group has stopped.
    let tally = Tally()

    func run() async throws {
        // On graceful shutdown the loop ends after the delivery in hand; a delivery fetched but not yet handed to
        // the loop goes back to the group with the subscription.
        for try await delivery in self.orders.cancelOnGracefulShutdown() {
            let order: Order
            do {
                order = try delivery.decode(Order.self)
            } catch {
                // Retrying cannot fix a malformed order: dead-letter it with the reason.
                try await delivery.reject(reason: "\(error)")
                continue
            }
            let invoice = Invoice(for: order)
            try await self.bus.publish(invoice, to: self.invoicesDestination, key: order.customer)
            do {
                try await delivery.ack()
            } catch let error as MessageBusError where error.code == .alreadySettled {
                // The group took the order back meanwhile (a RabbitMQ reconnection): it is invoiced again when
                // it comes back, a duplicate the invoices' consumers can drop by id.
                self.logger.notice("order handed to another member", metadata: ["order": "\(order.number)"])
                continue
            }
            self.tally.increment()
            self.logger.info("invoiced order", metadata: ["order": "\(order.number)", "total": "\(invoice.totalCents)"])
        }
        await self.orders.cancel()
    }
}
