// RabbitMQRPC: request/reply over RabbitMQ's direct reply-to (`request(_:to:timeout:)` and `reply(to:with:)`).
//
// A pricing service consumes a queue bound to `amq.direct` and answers each request with a JSON quote; a client
// sends five requests concurrently and gets each reply matched by correlation id, with no reply queue to declare
// or clean up. Then the two failures a caller handles: a request no queue receives fails at once with
// `.unroutable`, and a request nobody answers fails with `.timeout`.
//
//   swift run RabbitMQRPC amqp://guest:guest@127.0.0.1:5672/%2F
//
// RabbitMQ only: direct reply-to is a RabbitMQ feature. It stops by itself and exits non-zero if a reply is wrong.
import Foundation
import Logging
import MessageBus
import MessageBusRabbitMQ

let url = CommandLine.arguments.dropFirst().first ?? "amqp://guest:guest@127.0.0.1:5672/%2F"
do {
    try await runExample(url: url)
} catch {
    print("rabbitmq-rpc: FAILED: \(error)")
    exit(1)
}

func runExample(url: String) async throws {
    let parsed = try MessageBusURL(url)
    guard parsed.scheme == "amqp" || parsed.scheme == "amqps" else {
        throw MessageBusError(.unsupported, "RabbitMQRPC needs an amqp:// or amqps:// URL, not \(parsed): direct reply-to is RabbitMQ's")
    }
    let run = Message.generateID().prefix(8)
    let pricesQueue = "rpc.prices.\(run)"

    // The pricing service: in production a process of its own; here a second connection in the same process.
    let service = try await RabbitMQMessageBus(url: parsed, configuration: MessageBusConfiguration(), logger: Logger(label: "pricing"))
    _ = try await service.declare(RabbitMQQueue(pricesQueue, durable: false, exclusive: true))
    try await service.bind(RabbitMQBinding(.queue(pricesQueue), to: "amq.direct", routingKey: pricesQueue))
    let requests = try await service.subscribe(toQueue: pricesQueue)
    let responder = Task {
        for try await request in requests {
            let question = try request.decode(QuoteRequest.self)
            let quote = Quote(product: question.product, quantity: question.quantity, totalCents: question.quantity * 299)
            try await service.reply(to: request, with: Message(encoding: quote))
            try await request.ack()
        }
    }

    // The client.
    let client = try await RabbitMQMessageBus(url: parsed, configuration: MessageBusConfiguration(), logger: Logger(label: "shop"))
    let questions = ["apples", "pears", "plums", "figs", "dates"].enumerated().map {
        QuoteRequest(product: $1, quantity: $0 + 1)
    }
    let quotes = try await withThrowingTaskGroup(of: (QuoteRequest, Quote).self) { group in
        for question in questions {
            group.addTask {
                let reply = try await client.request(
                    Message(encoding: question, key: pricesQueue), to: "amq.direct", timeout: .seconds(10))
                return (question, try reply.decode(Quote.self))
            }
        }
        var answered: [(QuoteRequest, Quote)] = []
        for try await answer in group { answered.append(answer) }
        return answered
    }
    for (question, quote) in quotes.sorted(by: { $0.0.quantity < $1.0.quantity }) {
        print("rabbitmq-rpc: \(question.quantity) \(question.product): \(quote.totalCents) cents")
    }

    // Failures are typed: nobody could receive this request (no queue has that routing key) ...
    let unroutable = await requestError(client, Message(text: "anyone?", key: "rpc.nobody.\(run)"), timeout: .seconds(10))
    print("rabbitmq-rpc: request to a key no queue is bound to: \(unroutable.map { "\($0.code): \($0.message)" } ?? "no error")")
    // ... or a queue received it but nobody answered in time.
    let silentQueue = "rpc.silent.\(run)"
    _ = try await client.declare(RabbitMQQueue(silentQueue, durable: false, exclusive: true))
    try await client.bind(RabbitMQBinding(.queue(silentQueue), to: "amq.direct", routingKey: silentQueue))
    let silent = await requestError(client, Message(text: "hello?", key: silentQueue), timeout: .milliseconds(500))
    print("rabbitmq-rpc: request nobody answers: \(silent.map { "\($0.code): \($0.message)" } ?? "no error")")

    responder.cancel()
    try await client.close()
    try await service.close()

    let correct = quotes.count == questions.count && quotes.allSatisfy { $0.product == $1.product && $1.quantity == $0.quantity }
    print("rabbitmq-rpc: \(quotes.count) of \(questions.count) requests answered with their own quote")
    guard correct, unroutable?.code == .unroutable, silent?.code == .timeout else {
        print("rabbitmq-rpc: FAILED: expected 5 matching quotes, then .unroutable and .timeout")
        exit(1)
    }
}

/// The `MessageBusError` a request fails with, or `nil` when it got a reply.
func requestError(_ bus: RabbitMQMessageBus, _ message: Message, timeout: Duration) async -> MessageBusError? {
    do {
        _ = try await bus.request(message, to: "amq.direct", timeout: timeout)
        return nil
    } catch let error as MessageBusError {
        return error
    } catch {
        return MessageBusError(.brokerError, "\(error)")
    }
}
