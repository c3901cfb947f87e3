import MessageBus

/// The same guarantee gives the same result on every backend.
enum GuaranteeCases {
    static let all = [
        atMostOnce, exactlyOnce, effectivelyOnce, effectivelyOnceCopiesInFlight, effectivelyOnceRemembersLateAcks,
    ]

    static let atMostOnce = ConformanceCase("at-most-once never redelivers") { context in
        let bus = try await context.openBus(guarantee: .atMostOnce)
        let destination = context.uniqueName("atmostonce")
        let options = SubscriptionOptions(startPosition: .earliest, prefetch: 10)
        let first = try await bus.subscribe(to: destination, group: "readers", options: options)
        try await bus.publish(contentsOf: (0..<5).map { Message(text: "m\($0)", id: "m\($0)") }, to: destination)
        let deliveries = try await context.receive(5, from: first)
        try check(deliveries.allSatisfy(\.isSettled), "at-most-once deliveries must arrive settled")
        try await deliveries[0].nack(requeue: true)
        try await context.expectNothing(from: first, because: "at-most-once ignores a requeue")
        await first.cancel()
        let second = try await bus.subscribe(to: destination, group: "readers", options: options)
        try await context.expectNothing(from: second, because: "at-most-once never redelivers, even unacknowledged")
    }

    static let exactlyOnce = ConformanceCase(
        "exactly-once: no duplicate and no aborted output, no nested transaction, or refused at configuration time"
    ) { context in
        let probe = try await context.openBus()
        let bus: any MessageBus
        do {
            bus = try await context.openBus(guarantee: .exactlyOnce)
        } catch let error as MessageBusError where error.code == .unsupported {
            guard probe.capabilities.contains(.transactions) else {
                // The correct behaviour of a backend without transactions: refused, pointing at effectively-once.
                try check(
                    error.message.contains("effectively"),
                    "the refusal must point at effectively-once: \(error.message)")
                return
            }
            throw ConformanceUnsupported(
                description: "the backend has transactions but this broker does not isolate them: \(error.message)")
        }
        try check(
            probe.capabilities.contains(.transactions),
            "a backend without the transactions capability accepted .exactlyOnce")
        let input = context.uniqueName("eos-in")
        let output = context.uniqueName("eos-out")
        let options = SubscriptionOptions(startPosition: .earliest, prefetch: 20)
        let results = try await bus.subscribe(to: output, group: "auditors", options: options)
        let requests = try await bus.subscribe(to: input, group: "transformers", options: options)
        let ids = (0..<10).map { "order-\($0)" }
        try await bus.publish(contentsOf: ids.map { Message(text: $0, key: $0, id: $0) }, to: input)
        struct InjectedAbort: Error {}
        var abortedOnce = Set<String>()
        var processed = Set<String>()
        let deadline = ContinuousClock.now.advanced(by: context.backend.receiveTimeout * 2)
        while processed.count < ids.count, ContinuousClock.now < deadline {
            for delivery in try await requests.receive(max: 1, timeout: .milliseconds(500)) {
                let id = delivery.message.id
                let abort = ["order-1", "order-4", "order-7"].contains(id) && !abortedOnce.contains(id)
                do {
                    try await bus.withTransaction { transaction in
                        if processed.isEmpty { try await refusesNestedTransaction(on: bus) }
                        let marker = abort ? "aborted" : "committed"
                        try await transaction.publish(
                            Message(text: "\(id):\(marker)", key: id, id: "\(id)-result-\(marker)"), to: output)
                        try await transaction.acknowledge(delivery)
                        if abort { throw InjectedAbort() }
                    }
                    processed.insert(id)
                } catch is InjectedAbort {
                    abortedOnce.insert(id)
                }
            }
        }
        try check(processed == Set(ids), "processed \(processed.count) of \(ids.count) inputs")
        try check(abortedOnce.count == 3, "only \(abortedOnce.count) inputs came back after their transaction aborted")
        let outputs = try await context.receiveUntilQuiet(from: results, atLeast: ids.count)
        let texts = outputs.compactMap(\.message.text)
        try check(!texts.contains(where: { $0.hasSuffix(":aborted") }), "output of an aborted transaction is visible")
        try check(texts.count == ids.count && Set(texts).count == ids.count, "output has duplicates: \(texts)")
        try await outputs.ackAll()
    }

    /// A transaction inside another's body is refused at once: one bus runs one transaction at a time, so it would
    /// otherwise wait for the outer transaction forever.
    private static func refusesNestedTransaction(on bus: any MessageBus) async throws {
        do {
            try await bus.withTransaction { _ in }
        } catch let error as MessageBusError where error.code == .unsupported {
            try check(error.message.contains("inside"), "the refusal must say why: \(error.message)")
            return
        }
        throw ConformanceFailure(description: "a withTransaction inside another's body was accepted")
    }

    static let effectivelyOnce = ConformanceCase("effectively-once drops duplicates by message id") { context in
        let bus = try await context.openBus(guarantee: .effectivelyOnce())
        let destination = context.uniqueName("dedupe")
        let options = SubscriptionOptions(startPosition: .earliest)
        let subscription = try await bus.subscribe(to: destination, group: "readers", options: options)
        try await bus.publish(Message(text: "first", id: "dup-1"), to: destination)
        let original = try await context.receive(1, from: subscription)
        try await original.ackAll()
        try await bus.publish(Message(text: "again", id: "dup-1"), to: destination)
        try await bus.publish(Message(text: "and again", id: "dup-1"), to: destination)
        try await bus.publish(Message(text: "fresh", id: "fresh-2"), to: destination)
        let next = try await context.receive(1, from: subscription)
        try check(next[0].message.id == "fresh-2", "a duplicate of dup-1 reached the application")
        try await next.ackAll()
        try await context.expectNothing(from: subscription, because: "duplicates are dropped")
        await subscription.cancel()
        let rejoined = try await bus.subscribe(to: destination, group: "readers", options: options)
        try await context.expectNothing(from: rejoined, because: "dropped duplicates are acknowledged, not left behind")
    }

    static let effectivelyOnceCopiesInFlight = ConformanceCase(
        "effectively-once hands out one copy of a message while another is in flight; a give-back lets one through"
    ) { context in
        let bus = try await context.openBus(guarantee: .effectivelyOnce())
        let destination = context.uniqueName("copies")
        let subscription = try await bus.subscribe(
            to: destination, group: "readers", options: SubscriptionOptions(startPosition: .earliest))
        // All three copies are there before the first is settled, most likely in one batch.
        try await bus.publish(
            contentsOf: [
                Message(text: "copy 1", id: "twice-1"), Message(text: "copy 2", id: "twice-1"),
                Message(text: "copy 3", id: "twice-1"), Message(text: "other", id: "other-2"),
            ], to: destination)
        let first = try await context.receive(2, from: subscription)
        try check(
            first.map(\.message.id).sorted() == ["other-2", "twice-1"],
            "expected one copy of twice-1 and other-2, received \(first.map(\.message.id))")
        try await context.expectNothing(from: subscription, because: "the other copies are held while one is in flight")
        guard let copy = first.first(where: { $0.message.id == "twice-1" }) else {
            throw ConformanceFailure(description: "no copy of twice-1 among \(first.map(\.message.id))")
        }
        try await copy.nack(requeue: true)
        try await first.filter { $0 !== copy }.ackAll()
        let again = try await context.receive(1, from: subscription, what: "copies after the give-back")
        try check(again[0].message.id == "twice-1", "received \(again[0].message.id) after the give-back")
        try await context.expectNothing(from: subscription, because: "one copy at a time is in flight")
        try await again.ackAll()
        try await context.expectNothing(from: subscription, because: "copies of a settled message are dropped")
        await subscription.cancel()
        let rejoined = try await bus.subscribe(
            to: destination, group: "readers", options: SubscriptionOptions(startPosition: .earliest))
        try await context.expectNothing(from: rejoined, because: "dropped and held copies are acknowledged, not left behind")
    }

    static let effectivelyOnceRemembersLateAcks = ConformanceCase(
        "effectively-once: an ack refused because the subscription ended still counts; the copy that comes again is dropped"
    ) { context in
        let bus = try await context.openBus(guarantee: .effectivelyOnce())
        let destination = context.uniqueName("late-ack")
        let options = SubscriptionOptions(startPosition: .earliest)
        let first = try await bus.subscribe(to: destination, group: "readers", options: options)
        try await bus.publish(Message(text: "handled", key: "k", id: "handled"), to: destination)
        try await bus.publish(Message(text: "given back", key: "k", id: "given-back"), to: destination)
        let deliveries = try await context.receive(2, from: first)
        await first.cancel()
        for delivery in deliveries {
            do {
                if delivery.message.id == "handled" {
                    try await delivery.ack()
                } else {
                    try await delivery.nack(requeue: true)
                }
                throw ConformanceFailure(description: "settling '\(delivery.message.id)' after cancel did not throw")
            } catch let error as MessageBusError {
                try check(error.code == .alreadySettled, "a late settlement threw \(error.code), expected alreadySettled")
            }
        }
        // The application handled 'handled': the copy the group gets again is a duplicate. 'given-back' was not.
        let next = try await bus.subscribe(to: destination, group: "readers", options: options)
        let again = try await context.receiveUntilQuiet(from: next, atLeast: 1)
        try check(
            again.map(\.message.id) == ["given-back"],
            "the next member got \(again.map(\.message.id)), expected only 'given-back'")
        try await again.ackAll()
    }
}
