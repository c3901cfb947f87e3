import MessageBus
import ServiceLifecycle

/// The demo's end condition: reads the invoices the processor published and returns once `expected` arrived.
struct InvoiceAuditor: Service {
    let invoices: Subscription
    let expected: Int
    let tally = Tally()

    func run() async throws {
        for try await delivery in self.invoices.cancelOnGracefulShutdown() {
            let invoice = try delivery.decode(Invoice.self)
            try await delivery.ack()
            self.tally.increment()
            print("microservice: invoice for order \(invoice.orderNumber): \(invoice.totalCents) cents (\(invoice.customer))")
            if self.tally.count == self.expected { break }
        }
        await self.invoices.cancel()
    }
}
