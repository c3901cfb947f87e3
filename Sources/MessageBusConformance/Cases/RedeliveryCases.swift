import MessageBus

/// The settlement contract every backend keeps the same: a redelivery reaches only the group that asked for it,
/// waits its delay without holding the group back, counts its attempt, and a dead letter is kept even when nobody
/// reads the dead-letter destination yet.
enum RedeliveryCases {
    static let all = [
        requeueReachesOnlyItsGroup, retryWaitsItsDelayWithoutHoldingTheGroup, attemptsCountEveryRedelivery,
        attemptsCountAcrossCancel,
        deadLetterKeptBeforeAnyoneReads, poisonMessageAmongManyGoodOnes, settlementsAreCounted,
    ]

    static let requeueReachesOnlyItsGroup = ConformanceCase("a requeue reaches only the group that nacked") {
        context in
        let bus = try await context.openBus()
        let destination = context.uniqueName("requeue-group")
        let options = SubscriptionOptions(startPosition: .earliest)
        let nacking = try await bus.subscribe(to: destination, group: "nacking", options: options)
        let other = try await bus.subscribe(to: destination, group: "other", options: options)
        try await bus.publish(Message(text: "once", key: "k", id: "once"), to: destination)
        try await context.receive(1, from: other).ackAll()
        let first = try await context.receive(1, from: nacking)[0]
        try await first.nack(requeue: true)
        let again = try await context.receive(1, from: nacking, what: "redeliveries")[0]
        try check(again.message.id == "once" && again.attempt == 2, "redelivered \(again.message.id) attempt \(again.attempt)")
        try check(again.message.key == "k", "the redelivery lost its key: \(again.message.key ?? "nil")")
        try await again.ack()
        try await context.expectNothing(from: other, because: "another group's requeue is not this group's message")
    }

    static let retryWaitsItsDelayWithoutHoldingTheGroup = ConformanceCase(
        "retry(after:) redelivers no sooner than its delay, and later messages are not held back"
    ) { context in
        let bus = try await context.openBus()
        let destination = context.uniqueName("retry-delay")
        let subscription = try await bus.subscribe(
            to: destination, group: "readers", options: SubscriptionOptions(startPosition: .earliest))
        try await bus.publish(Message(text: "slow", key: "k", id: "slow"), to: destination)
        let first = try await context.receive(1, from: subscription)[0]
        // Long enough that 'later' is published and delivered well within it, even on a loaded machine.
        let delay = Duration.seconds(8)
        let retried = ContinuousClock.now
        try await first.retry(after: delay)
        try await bus.publish(Message(text: "later", key: "k", id: "later"), to: destination)
        let published = ContinuousClock.now - retried
        let next = try await context.receive(1, from: subscription)[0]
        let again: Delivery
        let waited: Duration
        if next.message.id == "slow" {
            // Held back, 'later' would come only after the retry: the order is the proof, not a time. It proves
            // nothing when publishing 'later' alone took as long as the delay.
            waited = ContinuousClock.now - retried
            try check(published >= delay, "got 'slow' first, expected 'later' (published \(published) after the retry)")
            again = next
            let later = try await context.receive(1, from: subscription)[0]
            try check(later.message.id == "later", "got \(later.message.id), expected 'later'")
            try await later.ack()
        } else {
            try check(next.message.id == "later", "got \(next.message.id) first, expected 'later' (the retry must wait)")
            try await next.ack()
            again = try await context.receive(1, from: subscription, what: "retries")[0]
            waited = ContinuousClock.now - retried
        }
        try check(again.message.id == "slow" && again.attempt == 2, "retried \(again.message.id) attempt \(again.attempt)")
        try check(waited >= delay, "the retry came after \(waited), sooner than its delay of \(delay)")
        try await again.ack()
    }

    static let attemptsCountEveryRedelivery = ConformanceCase(
        "attempts count 1, 2, 3, ... across requeues and retries"
    ) { context in
        let bus = try await context.openBus()
        let destination = context.uniqueName("attempts")
        let subscription = try await bus.subscribe(
            to: destination, group: "readers", options: SubscriptionOptions(startPosition: .earliest))
        try await bus.publish(Message(text: "again", key: "k", headers: ["h": "v"], id: "again"), to: destination)
        var seen: [Int] = []
        for round in 1...5 {
            let delivery = try await context.receive(1, from: subscription, what: "attempt \(round)")[0]
            seen.append(delivery.attempt)
            try check(delivery.message.headers["h"] == "v", "attempt \(round) lost the message's headers")
            switch round {
            case 5: try await delivery.ack()
            case 2, 4: try await delivery.retry(after: .milliseconds(100))
            default: try await delivery.nack(requeue: true)
            }
        }
        try check(seen == [1, 2, 3, 4, 5], "attempts were \(seen)")
    }

    static let attemptsCountAcrossCancel = ConformanceCase(
        "a delivery given back by a cancelled subscription comes to the next member with its attempt raised"
    ) { context in
        try await context.require(.groupPositionMetadata)
        let bus = try await context.openBus()
        let destination = context.uniqueName("attempts-cancel")
        let options = SubscriptionOptions(startPosition: .earliest)
        let first = try await bus.subscribe(to: destination, group: "readers", options: options)
        try await bus.publish(Message(text: "again", key: "k", id: "again"), to: destination)
        let original = try await context.receive(1, from: first)[0]
        try await original.nack(requeue: true)
        let requeued = try await context.receive(1, from: first, what: "redeliveries")[0]
        try check(requeued.attempt == 2, "the requeued delivery has attempt \(requeued.attempt), expected 2")
        await first.cancel()  // requeued is left unsettled: it goes back to the group
        let next = try await bus.subscribe(to: destination, group: "readers", options: options)
        let again = try await context.receive(1, from: next, what: "deliveries given back")[0]
        try check(again.message.id == "again", "the next member got \(again.message.id)")
        try check(again.attempt == 3, "the next member got attempt \(again.attempt), expected 3")
        try await again.ack()
    }

    static let deadLetterKeptBeforeAnyoneReads = ConformanceCase(
        "a dead letter is kept when nobody reads the dead-letter destination yet"
    ) { context in
        let bus = try await context.openBus()
        let destination = context.uniqueName("dlq-kept")
        let options = SubscriptionOptions(startPosition: .earliest)
        let subscription = try await bus.subscribe(to: destination, group: "readers", options: options)
        try await bus.publish(Message(text: "bad", key: "k", id: "bad"), to: destination)
        try await context.receive(1, from: subscription)[0].reject(reason: "unparsable")
        await subscription.cancel()
        let deadLetters = try await bus.subscribe(to: "\(destination).dlq", group: "readers", options: options)
        let dead = try await context.receive(1, from: deadLetters, what: "dead letters")[0]
        try check(dead.message.id == "bad", "the dead-letter destination holds \(dead.message.id)")
        try check(
            dead.message.headers[WellKnownHeader.deadLetterReason] == "unparsable",
            "dead-letter reason is \(dead.message.headers[WellKnownHeader.deadLetterReason] ?? "missing")")
        try await dead.ack()
    }

    static let poisonMessageAmongManyGoodOnes = ConformanceCase(
        "a poison message among 10,000 good ones is dead-lettered after its attempts; every good one is processed"
    ) { context in
        let bus = try await context.openBus()
        let destination = context.uniqueName("poison")
        let goodCount = 10_000
        let options = SubscriptionOptions(startPosition: .earliest, prefetch: 200)
        let workers = try await bus.subscribe(to: destination, group: "workers", options: options)
        struct Poison: Error, CustomStringConvertible {
            var description: String { "poison" }
        }
        let processed = Shared<Set<String>>([])
        let poisonAttempts = Shared<[Int]>([])
        let consumer = Task {
            try await workers.process(
                retry: RetryPolicy(maxAttempts: 3, backoff: .constant(.milliseconds(300)))
            ) { delivery in
                if delivery.message.id == "poison" {
                    poisonAttempts.withValue { $0.append(delivery.attempt) }
                    throw Poison()
                }
                processed.withValue { _ = $0.insert(delivery.message.id) }
            }
        }
        var messages = (0..<goodCount).map { Message(text: "good \($0)", key: "k\($0 % 16)", id: "good-\($0)") }
        messages.insert(Message(text: "bad", key: "k0", id: "poison"), at: goodCount / 2)
        for batch in stride(from: 0, to: messages.count, by: 1000) {
            try await bus.publish(contentsOf: Array(messages[batch..<min(messages.count, batch + 1000)]), to: destination)
        }
        let deadLetters = try await bus.subscribe(to: "\(destination).dlq", group: "workers", options: options)
        let dead = try await context.receive(1, from: deadLetters, what: "dead letters")[0]
        try await dead.ack()
        try await waitUntil(within: context.backend.receiveTimeout * 3, every: .milliseconds(50)) {
            processed.value.count >= goodCount
        }
        consumer.cancel()
        _ = await consumer.result
        try check(dead.message.id == "poison", "dead-lettered \(dead.message.id)")
        try check(
            dead.message.headers[WellKnownHeader.deadLetterAttempt] == "3",
            "dead-lettered on attempt \(dead.message.headers[WellKnownHeader.deadLetterAttempt] ?? "?"), expected 3")
        try check(poisonAttempts.value == [1, 2, 3], "the poison message was tried on attempts \(poisonAttempts.value)")
        try check(processed.value.count == goodCount, "\(processed.value.count) of \(goodCount) good messages processed")
    }

    static let settlementsAreCounted = ConformanceCase(
        "every backend reports the same swift-metrics: published, consumed, settled, in flight and lag"
    ) { context in
        let metrics = ConformanceMetrics()
        var configuration = MessageBusConfiguration()
        configuration.metricsFactory = metrics
        let bus = try await context.openBus(configuration)
        let destination = context.uniqueName("metrics")
        let subscription = try await bus.subscribe(
            to: destination, group: "readers", options: SubscriptionOptions(startPosition: .earliest))
        try await bus.publish(contentsOf: (0..<4).map { Message(text: "m\($0)", key: "k", id: "m\($0)") }, to: destination)
        let deliveries = try await context.receive(4, from: subscription)
        try await deliveries[0].ack()
        try await deliveries[1].ack()
        try await deliveries[2].reject(reason: "counted")
        try await deliveries[3].nack(requeue: true)
        try await context.receive(1, from: subscription, what: "redeliveries")[0].ack()
        let backend = [("backend", bus.backend)]
        let settled = { (outcome: String) in
            metrics.total("messagebus.settled", backend + [("destination", destination), ("outcome", outcome)])
        }
        let published = metrics.total("messagebus.published", backend)
        let consumed = metrics.total("messagebus.consumed", backend + [("destination", destination)])
        try check(published == 4, "messagebus.published is \(published), expected 4")
        try check(consumed == 5, "messagebus.consumed is \(consumed), expected 5 (4 and a redelivery)")
        try check(settled("ack") == 3, "settled ack is \(settled("ack")), expected 3")
        try check(settled("dead-letter") == 1, "settled dead-letter is \(settled("dead-letter")), expected 1")
        try check(settled("requeue") == 1, "settled requeue is \(settled("requeue")), expected 1")
        let groupDimensions = backend + [("destination", destination), ("group", "readers")]
        let inFlight = metrics.last("messagebus.in_flight", groupDimensions)
        try check(inFlight.map { $0 >= 1 && $0 <= 100 } == true, "messagebus.in_flight is \(String(describing: inFlight))")
        // Sampled periodically (RabbitMQ asks its queue every 5 s): everything was received, so it comes to 0.
        let deadline = ContinuousClock.now + context.backend.receiveTimeout
        while metrics.last("messagebus.lag", groupDimensions) != 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        let lag = metrics.last("messagebus.lag", groupDimensions)
        try check(lag == 0, "messagebus.lag is \(String(describing: lag)) after everything was received")
        await subscription.cancel()
        let afterCancel = metrics.last("messagebus.in_flight", groupDimensions)
        try check(afterCancel == 0, "messagebus.in_flight is \(String(describing: afterCancel)) after cancel")
    }
}
