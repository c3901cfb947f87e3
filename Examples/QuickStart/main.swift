import Logging
import MessageBus
import MessageBusKafka
import MessageBusRabbitMQ

let url = CommandLine.arguments.dropFirst().first ?? "memory://"
let bus = try await MessageBusConnector.connect(
    to: url, backends: [.inMemory, .kafka, .rabbitMQ], logger: Logger(label: "quickstart"))
let orders = try await bus.subscribe(to: "quickstart.orders", group: "billing")
for number in 1...3 {
    try await bus.publish(Message(text: "order \(number)", key: "customer-\(number)"), to: "quickstart.orders")
}
for try await delivery in orders.prefix(3) {
    print("\(bus.backend): consumed '\(delivery.message.text ?? "")', attempt \(delivery.attempt)")
    try await delivery.ack()
}
try await bus.close()
