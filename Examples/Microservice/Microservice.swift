// Microservice: a service on swift-service-lifecycle that consumes orders and publishes an invoice for each.
//
// Shows a `ServiceGroup` running the order processor next to the library's `MessageBusService`, graceful
// shutdown on SIGTERM and SIGINT (the processor finishes the order in hand, then the bus closes: what was sent is
// flushed and what was acknowledged is committed), and the same code on every broker.
//
//   swift run Microservice [URL]                 runs until SIGTERM or Ctrl-C, consuming `shop.orders`
//   swift run Microservice [URL] --demo 5        publishes 5 orders, stops by itself once all 5 are invoiced
//
// URL: memory:// (default), kafka://127.0.0.1:9092, amqp://guest:guest@127.0.0.1:5672/%2F
import ArgumentParser
import Foundation
import Logging
import MessageBus
import MessageBusKafka
import MessageBusRabbitMQ
import ServiceLifecycle
import UnixSignals

@main
struct Microservice: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Consumes orders and publishes invoices until SIGTERM or SIGINT (or, with --demo, until done).")

    @Argument(help: "The broker: memory://, kafka://HOST:PORT or amqp://USER:PASS@HOST:PORT/VHOST.")
    var url = "memory://"

    @Option(help: "Publish this many orders to fresh destinations and stop once every one is invoiced.")
    var demo: Int?

    @Option(help: "The destinations' prefix: orders are read from PREFIX.orders, invoices go to PREFIX.invoices.")
    var prefix = "shop"

    func validate() throws {
        if let demo, demo < 1 { throw ValidationError("--demo must be at least 1, not \(demo)") }
    }

    func run() async throws {
        let logger = Logger(label: "microservice")
        let bus = try await MessageBusConnector.connect(
            to: self.url, backends: [.inMemory, .kafka, .rabbitMQ], logger: logger)
        // A demo run gets destinations of its own, so that a Kafka group never reads an earlier run's orders.
        let prefix = self.demo == nil ? self.prefix : "microservice.\(Message.generateID().prefix(8))"
        let topics = ShopTopics(prefix: prefix)
        // Subscribing before anything is published: on RabbitMQ a group receives what arrives after its queue exists.
        let orders = try await bus.subscribe(to: topics.orders, group: "invoicing")
        let processor = OrderProcessor(bus: bus, orders: orders, invoicesDestination: topics.invoices, logger: logger)

        // The group shuts its services down in reverse order: the processor stops first, the bus closes last.
        var services = [
            ServiceGroupConfiguration.ServiceConfiguration(service: MessageBusService(bus)),
            ServiceGroupConfiguration.ServiceConfiguration(service: processor),
        ]
        var auditor: InvoiceAuditor?
        if let demo = self.demo {
            let invoices = try await bus.subscribe(to: topics.invoices, group: "audit")
            let demoAuditor = InvoiceAuditor(invoices: invoices, expected: demo)
            // Returning from the auditor's run (all invoices seen) starts the graceful shutdown of the whole group.
            services.append(.init(service: demoAuditor, successTerminationBehavior: .gracefullyShutdownGroup))
            auditor = demoAuditor
            let sample = (1...demo).map { Order(number: $0, customer: "customer-\($0 % 3)", amountCents: 1_000 * $0) }
            for order in sample {
                try await bus.publish(order, to: topics.orders, key: order.customer)
            }
            print("microservice: published \(demo) orders to \(topics.orders) on \(bus.backend)")
        } else {
            print("microservice: consuming \(topics.orders) on \(bus.backend); SIGTERM or Ctrl-C stops it gracefully")
        }

        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()

        let invoiced = processor.tally.count
        print("microservice: shut down gracefully after invoicing \(invoiced) orders on \(bus.backend)")
        if let auditor, auditor.tally.count != auditor.expected {
            print("microservice: FAILED: the auditor saw \(auditor.tally.count) invoices, expected \(auditor.expected)")
            throw ExitCode.failure
        }
    }
}
