import MessageBus

/// Groups compete within and broadcast across; keys keep their order.
enum GroupCases {
    static let all = [
        perKeyOrder, manyPublishersOneGroup, competingConsumers, twoGroups, broadcastSubscribers,
        latestGroupBeginsAtItsFirstSubscription,
    ]

    static let perKeyOrder = ConformanceCase("per-key order under concurrent publishers") { context in
        let bus = try await context.openBus()
        let destination = context.uniqueName("keyorder")
        let subscription = try await bus.subscribe(
            to: destination, group: "readers", options: SubscriptionOptions(startPosition: .earliest, prefetch: 500))
        let keys = 8
        let perKey = 50
        try await withThrowingTaskGroup(of: Void.self) { group in
            for key in 0..<keys {
                group.addTask {
                    for sequence in 0..<perKey {
                        try await bus.publish(Message(text: "\(key):\(sequence)", key: "key-\(key)"), to: destination)
                    }
                }
            }
            try await group.waitForAll()
        }
        let deliveries = try await context.receive(keys * perKey, from: subscription)
        var lastSeen: [String: Int] = [:]
        for delivery in deliveries {
            let parts = (delivery.message.text ?? "").split(separator: ":")
            let key = delivery.message.key ?? "nil"
            let sequence = Int(parts.last ?? "") ?? -1
            try check(sequence == (lastSeen[key] ?? -1) + 1, "\(key) delivered \(sequence) after \(lastSeen[key] ?? -1)")
            lastSeen[key] = sequence
        }
        try await deliveries.ackAll()
    }

    static let manyPublishersOneGroup = ConformanceCase(
        "10,000 messages from 100 concurrent publishers reach one group exactly once"
    ) { context in
        let bus = try await context.openBus()
        let destination = context.uniqueName("fanin")
        let subscription = try await bus.subscribe(
            to: destination, group: "readers", options: SubscriptionOptions(startPosition: .earliest, prefetch: 1000))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for publisher in 0..<100 {
                group.addTask {
                    for index in 0..<100 {
                        try await bus.publish(
                            Message(text: "p\(publisher)-\(index)", key: "p\(publisher)", id: "p\(publisher)-\(index)"),
                            to: destination)
                    }
                }
            }
            try await group.waitForAll()
        }
        var seen = Set<String>()
        var duplicates = 0
        let deadline = ContinuousClock.now.advanced(by: context.backend.receiveTimeout * 3)
        while seen.count < 10_000, ContinuousClock.now < deadline {
            let batch = try await subscription.receive(max: 1000, timeout: deadline - ContinuousClock.now)
            for delivery in batch where !seen.insert(delivery.message.id).inserted { duplicates += 1 }
            try await batch.ackAll()
        }
        try check(seen.count == 10_000, "received \(seen.count) distinct of 10,000")
        try check(duplicates == 0, "received \(duplicates) duplicates")
        try await context.expectNothing(from: subscription, because: "all 10,000 were delivered once")
    }

    static let competingConsumers = ConformanceCase("competing consumers in one group split the work") { context in
        let first = try await context.openBus()
        let second = try await context.openBus()
        let destination = context.uniqueName("compete")
        let options = SubscriptionOptions(startPosition: .earliest, prefetch: 5)
        let members = [
            try await first.subscribe(to: destination, group: "workers", options: options),
            try await second.subscribe(to: destination, group: "workers", options: options),
        ]
        let total = 200
        try await first.publish(
            contentsOf: (0..<total).map { Message(text: "job-\($0)", key: "job-\($0)", id: "job-\($0)") },
            to: destination)
        let received = Shared<[[String]]>([[], []])
        let deadline = ContinuousClock.now.advanced(by: context.backend.receiveTimeout * 2)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, member) in members.enumerated() {
                group.addTask {
                    while received.withValue({ $0[0].count + $0[1].count }) < total, ContinuousClock.now < deadline {
                        let batch = try await member.receive(max: 5, timeout: .milliseconds(200))
                        received.withValue { $0[index] += batch.map(\.message.id) }
                        // Holding each batch a moment lets the other member take its share.
                        try await Task.sleep(for: .milliseconds(2))
                        try await batch.ackAll()
                    }
                }
            }
            try await group.waitForAll()
        }
        let split = received.value
        let overlap = Set(split[0]).intersection(split[1])
        try check(overlap.isEmpty, "\(overlap.count) messages went to both members, e.g. \(overlap.first ?? "")")
        try check(Set(split[0] + split[1]).count == total, "members received \(Set(split[0] + split[1]).count) of \(total)")
        try check(!split[0].isEmpty && !split[1].isEmpty, "one member did all the work: \(split[0].count) / \(split[1].count)")
    }

    static let twoGroups = ConformanceCase("two groups each get every message") { context in
        let bus = try await context.openBus()
        let destination = context.uniqueName("twogroups")
        let options = SubscriptionOptions(startPosition: .earliest)
        let billing = try await bus.subscribe(to: destination, group: "billing", options: options)
        let shipping = try await bus.subscribe(to: destination, group: "shipping", options: options)
        let messages = (0..<50).map { Message(text: "order-\($0)", id: "order-\($0)") }
        try await bus.publish(contentsOf: messages, to: destination)
        for (name, subscription) in [("billing", billing), ("shipping", shipping)] {
            let deliveries = try await context.receive(50, from: subscription, what: "deliveries to \(name)")
            try check(Set(deliveries.map(\.message.id)) == Set(messages.map(\.id)), "\(name) got other messages")
            try await deliveries.ackAll()
        }
    }

    static let broadcastSubscribers = ConformanceCase(
        "broadcast subscribers each get what is published after they join"
    ) { context in
        let bus = try await context.openBus()
        let destination = context.uniqueName("broadcast")
        try await bus.publish(Message(text: "before", id: "before"), to: destination)
        let first = try await bus.subscribe(to: destination, group: nil)
        let second = try await (try await context.openBus()).subscribe(to: destination, group: nil)
        let messages = (0..<20).map { Message(text: "news-\($0)", id: "news-\($0)") }
        try await bus.publish(contentsOf: messages, to: destination)
        for subscription in [first, second] {
            let deliveries = try await context.receive(20, from: subscription)
            try check(
                deliveries.map(\.message.id) == messages.map(\.id),
                "a broadcast subscriber got \(deliveries.map(\.message.id))")
            try await deliveries.ackAll()
            try await context.expectNothing(from: subscription, because: "'before' was published before it joined")
        }
    }

    /// A group started at `.latest` begins when its first member subscribes, not when a member first acknowledges:
    /// what is published after that, while no member is connected, waits for the next one (a service restarted
    /// before its first message arrived loses nothing).
    static let latestGroupBeginsAtItsFirstSubscription = ConformanceCase(
        "a group started at .latest keeps what is published after it began, while no member is connected"
    ) { context in
        let bus = try await context.openBus()
        let destination = context.uniqueName("groupstart")
        let options = SubscriptionOptions(startPosition: .latest)
        let first = try await bus.subscribe(to: destination, group: "readers", options: options)
        await first.cancel()
        let ids = (0..<5).map { "m\($0)" }
        try await bus.publish(contentsOf: ids.map { Message(text: $0, id: $0) }, to: destination)
        let next = try await bus.subscribe(to: destination, group: "readers", options: options)
        let received = try await context.receive(ids.count, from: next)
        try check(
            received.map(\.message.id).sorted() == ids,
            "the next member got \(received.map(\.message.id).sorted()), expected \(ids)")
        try await received.ackAll()
    }
}
