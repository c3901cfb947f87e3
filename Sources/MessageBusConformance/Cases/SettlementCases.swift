import MessageBus

/// Acknowledgement, requeue, dead-lettering and what a group remembers across subscriptions.
enum SettlementCases {
    static let all = [
        ackRemovesForGood, outOfOrderAcks, nackRequeue, rejectDeadLetters, cancelledSubscriptionRedelivers,
        settlingAfterTheSubscriptionEnded, restartedConsumerResumes,
    ]

    static let ackRemovesForGood = ConformanceCase("ack removes a message for good") { context in
        let bus = try await context.openBus()
        let destination = context.uniqueName("ack")
        let options = SubscriptionOptions(startPosition: .earliest)
        let first = try await bus.subscribe(to: destination, group: "readers", options: options)
        try await bus.publish(contentsOf: (0..<5).map { Message(text: "m\($0)", id: "m\($0)") }, to: destination)
        try await context.receive(5, from: first).ackAll()
        await first.cancel()
        let next = try await bus.subscribe(to: destination, group: "readers", options: options)
        try await context.expectNothing(from: next, because: "every message was acknowledged")
        try await bus.publish(Message(text: "later", id: "later"), to: destination)
        let later = try await context.receive(1, from: next)
        try check(later[0].message.id == "later", "a new member got \(later[0].message.id), expected 'later'")
        try await later.ackAll()
    }

    static let outOfOrderAcks = ConformanceCase("out-of-order acks never lose or skip a message") { context in
        let bus = try await context.openBus()
        let destination = context.uniqueName("outoforder")
        let options = SubscriptionOptions(startPosition: .earliest, prefetch: 50)
        let first = try await bus.subscribe(to: destination, group: "readers", options: options)
        let ids = (0..<20).map { "m\($0)" }
        try await bus.publish(contentsOf: ids.map { Message(text: $0, key: "one-key", id: $0) }, to: destination)
        let deliveries = try await context.receive(20, from: first)
        let keptBack: Set<String> = ["m2", "m9", "m15"]
        for delivery in deliveries.reversed() where !keptBack.contains(delivery.message.id) {
            try await delivery.ack()
        }
        await first.cancel()
        let second = try await bus.subscribe(to: destination, group: "readers", options: options)
        let redelivered = try await context.receiveUntilQuiet(from: second, atLeast: keptBack.count)
        let redeliveredIDs = Set(redelivered.map(\.message.id))
        try check(
            redeliveredIDs.isSuperset(of: keptBack),
            "unacknowledged \(keptBack.subtracting(redeliveredIDs).sorted()) were lost")
        try check(redeliveredIDs.isSubset(of: Set(ids)), "unknown messages were delivered: \(redeliveredIDs)")
        for delivery in redelivered.shuffled() { try await delivery.ack() }
        await second.cancel()
        let third = try await bus.subscribe(to: destination, group: "readers", options: options)
        try await context.expectNothing(from: third, because: "everything was acknowledged, in any order")
    }

    static let nackRequeue = ConformanceCase("nack with requeue redelivers with the attempt raised") { context in
        let bus = try await context.openBus()
        let destination = context.uniqueName("nack")
        let subscription = try await bus.subscribe(
            to: destination, group: "readers", options: SubscriptionOptions(startPosition: .earliest))
        try await bus.publish(Message(text: "retry me", id: "retry-me"), to: destination)
        let first = try await context.receive(1, from: subscription)[0]
        try check(first.attempt == 1, "first attempt is \(first.attempt)")
        try await first.nack(requeue: true)
        let second = try await context.receive(1, from: subscription, what: "redeliveries")[0]
        try check(second.message.id == "retry-me", "redelivered \(second.message.id)")
        try check(second.attempt == 2, "redelivery has attempt \(second.attempt), expected 2")
        try await second.nack(requeue: false)
        try await context.expectNothing(from: subscription, because: "nack without requeue drops the message")
        do {
            try await second.ack()
            throw ConformanceFailure(description: "settling a delivery twice did not throw")
        } catch let error as MessageBusError {
            try check(error.code == .alreadySettled, "settling twice threw \(error.code), expected alreadySettled")
        }
    }

    static let rejectDeadLetters = ConformanceCase("reject lands in the dead-letter destination with its reason") {
        context in
        let bus = try await context.openBus()
        let destination = context.uniqueName("reject")
        let deadLetters = try await bus.subscribe(
            to: "\(destination).dlq", group: "inspectors", options: SubscriptionOptions(startPosition: .earliest))
        let subscription = try await bus.subscribe(
            to: destination, group: "readers", options: SubscriptionOptions(startPosition: .earliest))
        try await bus.publish(Message(text: "poison", key: "k", headers: ["trace": "t1"], id: "poison"), to: destination)
        let delivery = try await context.receive(1, from: subscription)[0]
        try await delivery.reject(reason: "amount is negative")
        let dead = try await context.receive(1, from: deadLetters, what: "dead letters")[0]
        try check(dead.message.id == "poison", "dead letter is \(dead.message.id)")
        try check(dead.message.text == "poison", "dead letter payload is \(dead.message.text ?? "nil")")
        try check(dead.message.headers["trace"] == "t1", "dead letter lost its headers")
        let reason = dead.message.headers[WellKnownHeader.deadLetterReason]
        try check(reason == "amount is negative", "dead-letter reason is \(reason ?? "missing")")
        try check(
            dead.message.headers[WellKnownHeader.deadLetterSource] == destination,
            "dead-letter source is \(dead.message.headers[WellKnownHeader.deadLetterSource] ?? "missing")")
        try await dead.ack()
        try await context.expectNothing(from: subscription, because: "a rejected message is not redelivered")
    }

    static let cancelledSubscriptionRedelivers = ConformanceCase(
        "a cancelled subscription's unacked deliveries go back to the group"
    ) { context in
        let bus = try await context.openBus()
        let destination = context.uniqueName("cancel")
        let options = SubscriptionOptions(startPosition: .earliest, prefetch: 10)
        let first = try await bus.subscribe(to: destination, group: "readers", options: options)
        try await bus.publish(
            contentsOf: (0..<5).map { Message(text: "m\($0)", key: "k", id: "m\($0)") }, to: destination)
        let deliveries = try await context.receive(5, from: first)
        try await deliveries.prefix(2).ackAll()
        await first.cancel()
        let second = try await bus.subscribe(to: destination, group: "readers", options: options)
        let redelivered = try await context.receiveUntilQuiet(from: second, atLeast: 3)
        try check(
            Set(redelivered.map(\.message.id)) == Set(deliveries.dropFirst(2).map(\.message.id)),
            "redelivered \(redelivered.map(\.message.id)), expected the three unacknowledged")
        try await redelivered.ackAll()
    }

    static let settlingAfterTheSubscriptionEnded = ConformanceCase(
        "settling after the subscription ended throws alreadySettled and publishes nothing; the group gets each once"
    ) { context in
        let bus = try await context.openBus()
        let destination = context.uniqueName("settle-ended")
        let options = SubscriptionOptions(startPosition: .earliest)
        let deadLetters = try await bus.subscribe(to: "\(destination).dlq", group: "inspectors", options: options)
        let first = try await bus.subscribe(to: destination, group: "readers", options: options)
        let ids = ["acked", "discarded", "requeued", "retried", "rejected"]
        try await bus.publish(contentsOf: ids.map { Message(text: $0, key: "k", id: $0) }, to: destination)
        let deliveries = try await context.receive(ids.count, from: first)
        await first.cancel()
        for delivery in deliveries {
            let id = delivery.message.id
            do {
                switch id {
                case "acked": try await delivery.ack()
                case "discarded": try await delivery.nack(requeue: false)
                case "requeued": try await delivery.nack(requeue: true)
                case "retried": try await delivery.retry(after: .milliseconds(100))
                default: try await delivery.reject(reason: "too late")
                }
                throw ConformanceFailure(description: "settling '\(id)' after its subscription ended did not throw")
            } catch let error as MessageBusError {
                try check(
                    error.code == .alreadySettled,
                    "settling '\(id)' after its subscription ended threw \(error.code), expected alreadySettled")
            }
        }
        // A requeue, retry or dead letter that published its copy anyway would show here as a second copy.
        let next = try await bus.subscribe(to: destination, group: "readers", options: options)
        let again = try await context.receiveUntilQuiet(from: next, atLeast: ids.count)
        try check(
            again.map(\.message.id).sorted() == ids.sorted(),
            "the next member got \(again.map(\.message.id).sorted()), expected each of \(ids.sorted()) once")
        try await again.ackAll()
        try await context.expectNothing(from: deadLetters, because: "a refused dead letter publishes no copy")
    }

    static let restartedConsumerResumes = ConformanceCase("a restarted consumer resumes after the last ack") {
        context in
        let destination = context.uniqueName("restart")
        let options = SubscriptionOptions(startPosition: .earliest, prefetch: 20)
        let before = try await context.openBus()
        let subscription = try await before.subscribe(to: destination, group: "readers", options: options)
        let ids = (0..<10).map { "m\($0)" }
        try await before.publish(contentsOf: ids.map { Message(text: $0, key: "k", id: $0) }, to: destination)
        let deliveries = try await context.receive(10, from: subscription)
        try check(deliveries.map(\.message.id) == ids, "delivered out of order: \(deliveries.map(\.message.id))")
        try await deliveries.prefix(6).ackAll()
        try await before.close(deadline: .seconds(10))
        let after = try await context.openBus()
        let resumed = try await after.subscribe(to: destination, group: "readers", options: options)
        let rest = try await context.receiveUntilQuiet(from: resumed, atLeast: 4)
        try check(rest.map(\.message.id) == Array(ids.suffix(4)), "resumed with \(rest.map(\.message.id))")
        try await rest.ackAll()
    }
}
