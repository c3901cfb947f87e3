import MessageBus

/// Bounded memory, draining close, readiness and errors for bad input.
enum LifecycleCases {
    static let all = [slowConsumerBounded, shortTimeoutsReturn, closeDrainsThenRefuses, readiness, invalidNames]

    static let slowConsumerBounded = ConformanceCase("a slow consumer never holds more than its prefetch") { context in
        let bus = try await context.openBus()
        let destination = context.uniqueName("slow")
        let prefetch = 8
        let subscription = try await bus.subscribe(
            to: destination, group: "readers", options: SubscriptionOptions(startPosition: .earliest, prefetch: prefetch))
        let total = 500
        try await bus.publish(
            contentsOf: (0..<total).map { Message(text: "m\($0)", key: "k\($0 % 4)", id: "m\($0)") }, to: destination)
        var received = try await context.receive(1, from: subscription)
        try await Task.sleep(for: context.backend.quietPeriod)
        try check(
            subscription.unsettledCount <= prefetch,
            "a stalled consumer holds \(subscription.unsettledCount) unsettled deliveries; the prefetch is \(prefetch)")
        try await received.ackAll()
        while received.count < total {
            let batch = try await subscription.receive(max: prefetch, timeout: context.backend.receiveTimeout)
            try check(!batch.isEmpty, "stalled after \(received.count) of \(total)")
            try check(batch.count <= prefetch, "a batch of \(batch.count) exceeds the prefetch of \(prefetch)")
            try check(subscription.unsettledCount <= prefetch, "\(subscription.unsettledCount) unsettled > \(prefetch)")
            received += batch
            try await batch.ackAll()
        }
        let ids = Set(received.map(\.message.id))
        if ids.count != total {
            // Which came twice, and from where, so that a failure says whether a position was read again.
            func origin(_ delivery: Delivery) -> String {
                let place = delivery.position.map { "[\($0.partition ?? -1)]\($0.offset)" } ?? "?"
                return "\(place) attempt \(delivery.attempt)"
            }
            let repeated = Dictionary(grouping: received, by: \.message.id).filter { $0.value.count > 1 }
                .sorted { $0.key < $1.key }.prefix(10)
                .map { id, copies in "\(id) at \(copies.map(origin))" }
            throw ConformanceFailure(
                description: "lost or duplicated messages under backpressure: \(ids.count) distinct of \(received.count) "
                    + "received (\(total) published); repeated: \(repeated.joined(separator: ", "))")
        }
    }

    /// A timeout short enough that its timer may fire before the receive has registered as waiting must still
    /// end the receive (found on memory://, where such a receive waited for the next delivery instead).
    static let shortTimeoutsReturn = ConformanceCase("receives with short timeouts on an idle subscription all return")
    { context in
        let bus = try await context.openBus()
        let subscription = try await bus.subscribe(to: context.uniqueName("idle"), group: "readers")
        // Up to 300 receives, for at most 2 seconds (fewer on a slow build, under ThreadSanitizer say): a tight loop
        // on every backend at once, and longer ones starved the brokers of CPU on a 2-core machine.
        let rounds = 300
        let stopAt = ContinuousClock.now + .seconds(2)
        let returned = Shared(0)
        let finished = Shared(false)
        // Apart from the case's task, so that a receive that never returns fails the case instead of hanging it.
        let receiving = Task {
            defer { finished.withValue { $0 = true } }
            for round in 0..<rounds {
                guard ContinuousClock.now < stopAt else { break }
                let batch = try await subscription.receive(max: 1, timeout: .microseconds(round % 50 + 1))
                try check(batch.isEmpty, "an idle subscription received \(batch.count) deliveries")
                returned.withValue { $0 += 1 }
            }
        }
        while !finished.value {
            let before = returned.value
            // A receive that does not return within the receive timeout is stuck (its own timeout is 50 µs at most).
            let moved = try await waitUntil(within: context.backend.receiveTimeout) {
                finished.value || returned.value != before
            }
            if !moved {
                receiving.cancel()
                try check(false, "a receive with a timeout of at most 50 µs did not return (\(before) had)")
            }
        }
        try await receiving.value
    }

    static let closeDrainsThenRefuses = ConformanceCase("close drains sent messages, then every call throws") {
        context in
        let consumer = try await context.openBus()
        let destination = context.uniqueName("close")
        let subscription = try await consumer.subscribe(
            to: destination, group: "readers", options: SubscriptionOptions(startPosition: .earliest, prefetch: 200))
        let producer = try await context.openBus()
        for index in 0..<100 {
            try await producer.send(Message(text: "m\(index)", key: "k", id: "m\(index)"), to: destination)
        }
        try await producer.close(deadline: .seconds(30))
        let deliveries = try await context.receive(100, from: subscription, what: "messages sent before close")
        try check(
            deliveries.map(\.message.id) == (0..<100).map { "m\($0)" }, "sent messages arrived out of order or changed")
        try await deliveries.dropLast().ackAll()
        try await expectClosed("publish") { try await producer.publish(Message(text: "late"), to: destination) }
        try await expectClosed("send") { try await producer.send(Message(text: "late"), to: destination) }
        try await expectClosed("subscribe") { _ = try await producer.subscribe(to: destination, group: "late") }
        try await expectClosed("checkReadiness") { try await producer.checkReadiness() }
        try await producer.close(deadline: .seconds(1))
        try await consumer.close(deadline: .seconds(10))
        try await expectClosed("ack") { try await deliveries[deliveries.count - 1].ack() }
        do {
            _ = try await subscription.receive(max: 1, timeout: .seconds(5))
            throw ConformanceFailure(description: "a subscription of a closed bus still receives")
        } catch let error as MessageBusError {
            try check(error.code == .closed, "receiving after close threw \(error.code), expected closed")
        }
    }

    static let readiness = ConformanceCase("readiness check answers") { context in
        let bus = try await context.openBus()
        try await bus.checkReadiness()
    }

    static let invalidNames = ConformanceCase("invalid destination and group names fail with a typed error") {
        context in
        let bus = try await context.openBus()
        for name in ["", "has space", "slash/name", String(repeating: "x", count: 300)] {
            do {
                try await bus.publish(Message(text: "x"), to: name)
                throw ConformanceFailure(description: "publishing to '\(name)' did not throw")
            } catch let error as MessageBusError {
                try check(error.code == .invalidConfiguration, "'\(name)' threw \(error.code)")
                try check(error.message.contains(name), "the error does not name '\(name)': \(error.message)")
            }
        }
        do {
            _ = try await bus.subscribe(to: context.uniqueName("names"), group: "bad group")
            throw ConformanceFailure(description: "subscribing with group 'bad group' did not throw")
        } catch let error as MessageBusError {
            try check(error.code == .invalidConfiguration, "a bad group threw \(error.code)")
        }
    }

    private static func expectClosed(_ call: String, _ body: () async throws -> Void) async throws {
        do {
            try await body()
            throw ConformanceFailure(description: "\(call) after close did not throw")
        } catch let error as MessageBusError {
            try check(error.code == .closed, "\(call) after close threw \(error.code), expected closed")
        }
    }
}
