import Instrumentation
import MessageBus
import ServiceContextModule

/// The conveniences built on the core: batches, handlers with retry, Codable, trace propagation.
enum ConvenienceCases {
    static let all = [
        batchPublishReceiveAck, consumeRetriesThenDeadLetters, concurrentHandlersKeepKeyOrder, codableRoundTrip,
        decodingFailureDeadLetters, traceContextSurvives,
    ]

    static let batchPublishReceiveAck = ConformanceCase("batch publish, batch receive, batch ack") { context in
        let bus = try await context.openBus()
        let destination = context.uniqueName("batch")
        let options = SubscriptionOptions(startPosition: .earliest, prefetch: 100)
        let subscription = try await bus.subscribe(to: destination, group: "readers", options: options)
        let messages = (0..<300).map { Message(text: "m\($0)", key: "k\($0 % 3)", id: "m\($0)") }
        try await bus.publish(contentsOf: messages, to: destination)
        var received: [Delivery] = []
        while received.count < messages.count {
            let batch = try await subscription.receive(max: 100, timeout: context.backend.receiveTimeout)
            try check(!batch.isEmpty, "no batch after \(received.count) of \(messages.count)")
            try check(batch.count <= 100, "a batch of \(batch.count) exceeds max 100")
            try await batch.ackAll()
            received += batch
        }
        try check(Set(received.map(\.message.id)) == Set(messages.map(\.id)), "batches lost or repeated messages")
        await subscription.cancel()
        let next = try await bus.subscribe(to: destination, group: "readers", options: options)
        try await context.expectNothing(from: next, because: "every batch was acknowledged")
    }

    static let consumeRetriesThenDeadLetters = ConformanceCase(
        "consume handler: ack on return, retry on throw, dead-letter when attempts run out"
    ) { context in
        let bus = try await context.openBus()
        let destination = context.uniqueName("handler")
        let deadLetters = try await bus.subscribe(
            to: "\(destination).dlq", group: "inspectors", options: SubscriptionOptions(startPosition: .earliest))
        let attempts = Shared<[String: [Int]]>([:])
        struct Poison: Error, CustomStringConvertible {
            var description: String { "poison pill" }
        }
        let workers = try await bus.subscribe(
            to: destination, group: "workers", options: SubscriptionOptions(startPosition: .earliest))
        let consumer = Task {
            try await workers.process(retry: RetryPolicy(maxAttempts: 3)) { delivery in
                attempts.withValue { $0[delivery.message.id, default: []].append(delivery.attempt) }
                if delivery.message.id == "poison" { throw Poison() }
            }
        }
        try await bus.publish(
            contentsOf: [Message(text: "ok", id: "ok-1"), Message(text: "bad", id: "poison"), Message(text: "ok", id: "ok-2")],
            to: destination)
        let dead = try await context.receive(1, from: deadLetters, what: "dead letters")[0]
        consumer.cancel()
        _ = await consumer.result
        try check(dead.message.id == "poison", "dead-lettered \(dead.message.id)")
        let reason = dead.message.headers[WellKnownHeader.deadLetterReason] ?? ""
        try check(reason.contains("poison pill"), "the reason does not carry the error: \(reason)")
        let seen = attempts.value
        try check(seen["poison"] == [1, 2, 3], "poison attempts were \(seen["poison"] ?? [])")
        try check(seen["ok-1"] == [1] && seen["ok-2"] == [1], "good messages were retried: \(seen)")
        try await dead.ack()
    }

    static let concurrentHandlersKeepKeyOrder = ConformanceCase("concurrent handlers keep per-key order") { context in
        let bus = try await context.openBus()
        let destination = context.uniqueName("lanes")
        let keys = 6
        let perKey = 30
        let messages = (0..<perKey).flatMap { sequence in
            (0..<keys).map { Message(text: "\(sequence)", key: "key-\($0)", id: "key-\($0)-\(sequence)") }
        }
        let workers = try await bus.subscribe(
            to: destination, group: "workers", options: SubscriptionOptions(startPosition: .earliest, prefetch: 64))
        try await bus.publish(contentsOf: messages, to: destination)
        let processed = Shared<[String: [Int]]>([:])
        let active = Shared<(now: Int, peak: Int)>((0, 0))
        let consumer = Task {
            try await workers.process(concurrency: 8) { delivery in
                active.withValue { $0.now += 1; $0.peak = max($0.peak, $0.now) }
                // Handlers interleave at random points; yields rather than sleeps, whose timers a loaded machine
                // delays by far more than their length.
                for _ in 0..<Int.random(in: 1...3) { await Task.yield() }
                processed.withValue { $0[delivery.message.key ?? "", default: []].append(Int(delivery.message.text ?? "") ?? -1) }
                active.withValue { $0.now -= 1 }
            }
        }
        let allProcessed = try await waitUntil(within: context.backend.receiveTimeout) {
            processed.value.values.reduce(0, { $0 + $1.count }) >= keys * perKey
        }
        let counts = processed.value.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.count)" }
        consumer.cancel()
        _ = await consumer.result
        // Said apart from the order check below, which a stall would otherwise show as a short sequence.
        try check(allProcessed, "not all processed within \(context.backend.receiveTimeout): \(counts)")
        for (key, sequence) in processed.value {
            try check(sequence == Array(0..<perKey), "\(key) was processed as \(sequence)")
        }
        try check(processed.value.count == keys, "processed \(processed.value.count) of \(keys) keys")
        try check(active.value.peak > 1, "handlers never ran concurrently (peak \(active.value.peak))")
    }

    struct Order: Codable, Equatable, Sendable {
        var id: Int
        var customer: String
        var total: Double
        var items: [String]
    }

    static let codableRoundTrip = ConformanceCase("Codable round trip sets and checks the content type") { context in
        let bus = try await context.openBus()
        let destination = context.uniqueName("codable")
        let subscription = try await bus.subscribe(
            to: destination, group: "readers", options: SubscriptionOptions(startPosition: .earliest))
        let order = Order(id: 7, customer: "Zoë", total: 12.5, items: ["tea", "cake"])
        try await bus.publish(order, to: destination, key: "customer-7")
        let delivery = try await context.receive(1, from: subscription)[0]
        try check(delivery.message.contentType == "application/json", "content type \(delivery.message.contentType ?? "nil")")
        let decoded = try delivery.decode(Order.self)
        try check(decoded == order, "decoded \(decoded)")
        try await delivery.ack()
    }

    static let decodingFailureDeadLetters = ConformanceCase("a payload that does not decode is dead-lettered") {
        context in
        let bus = try await context.openBus()
        let destination = context.uniqueName("undecodable")
        let deadLetters = try await bus.subscribe(
            to: "\(destination).dlq", group: "inspectors", options: SubscriptionOptions(startPosition: .earliest))
        let handled = Shared<[Int]>([])
        let workers = try await bus.subscribe(
            to: destination, group: "workers", options: SubscriptionOptions(startPosition: .earliest))
        let consumer = Task {
            try await workers.process(Order.self) { order, _ in
                handled.withValue { $0.append(order.id) }
            }
        }
        var notJSON = Message(text: "{ this is not json", id: "broken")
        notJSON.contentType = "application/json"
        try await bus.publish(notJSON, to: destination)
        try await bus.publish(Message(text: "plain text", id: "wrong-type"), to: destination)
        try await bus.publish(Order(id: 1, customer: "a", total: 1, items: []), to: destination)
        let dead = try await context.receive(2, from: deadLetters, what: "dead letters")
        try await waitUntil(within: context.backend.receiveTimeout) { !handled.value.isEmpty }
        consumer.cancel()
        _ = await consumer.result
        try check(Set(dead.map(\.message.id)) == ["broken", "wrong-type"], "dead-lettered \(dead.map(\.message.id))")
        let reasons = dead.map { $0.message.headers[WellKnownHeader.deadLetterReason] ?? "" }
        try check(reasons.allSatisfy { $0.contains("Order") }, "reasons do not name the type: \(reasons)")
        try check(handled.value == [1], "the handler saw \(handled.value), expected only order 1")
        try await dead.ackAll()
    }

    static let traceContextSurvives = ConformanceCase("trace context in headers survives the trip") { context in
        guard InstrumentationSystem._findInstrument(where: { $0 is ConformanceTraceInstrument }) != nil else {
            throw ConformanceFailure(
                description: "ConformanceTraceInstrument.bootstrap() was not called, so nothing propagates trace context")
        }
        let bus = try await context.openBus()
        let destination = context.uniqueName("trace")
        let subscription = try await bus.subscribe(
            to: destination, group: "readers", options: SubscriptionOptions(startPosition: .earliest))
        var traced = ServiceContext.topLevel
        traced[ConformanceTraceInstrument.TraceKey.self] = "trace-\(destination)"
        try await ServiceContext.withValue(traced) {
            try await bus.publish(Message(text: "traced"), to: destination)
        }
        let delivery = try await context.receive(1, from: subscription)[0]
        let value = delivery.traceContext[ConformanceTraceInstrument.TraceKey.self]
        try check(value == "trace-\(destination)", "the consumer saw trace \(value ?? "nil")")
        try await delivery.nack(requeue: true)
        await subscription.cancel()
        let inHandler = Shared<String?>(nil)
        let consumer = Task {
            try await bus.consume(from: destination, group: "readers") { _ in
                inHandler.withValue { $0 = ServiceContext.current?[ConformanceTraceInstrument.TraceKey.self] }
            }
        }
        try await waitUntil(within: context.backend.receiveTimeout) { inHandler.value != nil }
        consumer.cancel()
        _ = await consumer.result
        try check(inHandler.value == "trace-\(destination)", "the handler ran in trace \(inHandler.value ?? "nil")")
    }
}
