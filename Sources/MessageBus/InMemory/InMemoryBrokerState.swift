import Foundation
import DequeModule

/// The in-memory broker's state machine: destinations with retained logs, groups with ready queues, consumers
/// with in-flight deliveries. A value type with no I/O, so every rule is unit-tested alone; ``InMemoryBroker``
/// keeps it under a lock and turns its results into resumed waiters.
package struct InMemoryBrokerState: Sendable {
    package typealias ConsumerID = Int
    package typealias OwnerID = Int

    /// A message in a group's queue or in flight.
    package struct Entry: Sendable, Equatable {
        package var message: Message
        package var offset: Int64
        /// How many times the entry has been handed to a subscriber so far.
        package var handedOut: Int
    }

    /// A message handed to a consumer by ``receive(consumer:max:)``.
    package struct Handout: Sendable, Equatable {
        package var tag: UInt64
        package var message: Message
        package var offset: Int64
        package var attempt: Int
    }

    struct Destination: Sendable {
        var log: Deque<Entry> = []
        var nextOffset: Int64 = 0
        var groups: [String: Group] = [:]
    }

    struct Group: Sendable {
        var ready: Deque<Entry> = []
        var members: [ConsumerID] = []
        var nextMember = 0
        /// A broadcast group disappears with its last member.
        var isEphemeral: Bool
    }

    struct Consumer: Sendable {
        var destination: String
        var group: String
        var owner: OwnerID
        var prefetch: Int
        var settlesOnHandout: Bool
        var inFlight: [UInt64: Entry] = [:]
        /// Tags dispatched to the consumer and not yet handed to the application, oldest first.
        var pending: Deque<UInt64> = []
    }

    /// What a settlement did, for the caller to act on.
    package struct Effects: Sendable, Equatable {
        /// Consumers that have new pending deliveries.
        package var woken: Set<ConsumerID> = []
        /// Entries given back with a delay: the caller hands them to ``returnDelayed(_:)`` once it has passed.
        package var delayed: [Delayed] = []
    }

    /// Entries settled with ``DeliveryOutcome/retry(after:)``, waiting out their delay outside the state.
    package struct Delayed: Sendable, Equatable {
        package var destination: String
        package var group: String
        package var entries: [Entry]
        package var delay: Duration
    }

    private var destinations: [String: Destination] = [:]
    private var consumers: [ConsumerID: Consumer] = [:]
    private var nextTag: UInt64 = 1
    private var nextConsumerID: ConsumerID = 1
    private var nextBroadcastGroup = 1
    /// How many messages each destination retains for groups that start at ``StartPosition/earliest``.
    package let retention: Int

    package init(retention: Int) {
        self.retention = max(1, retention)
    }

    // MARK: Publishing

    /// Appends `messages` to `destination`'s log and to every group's queue.
    package mutating func publish(_ messages: [Message], to destination: String) -> Effects {
        // Taken out of the dictionary while it changes, so its queues are uniquely referenced and grow in place
        // instead of being copied (copy-on-write) on every call.
        // The group names are copied first: iterating `groups.keys` while appending would share the dictionary's
        // storage with the iterator and copy every queue on each append.
        var state = self.destinations.removeValue(forKey: destination) ?? Destination()
        let groupNames = Array(state.groups.keys)
        for message in messages {
            let entry = Entry(message: message, offset: state.nextOffset, handedOut: 0)
            state.nextOffset += 1
            state.log.append(entry)
            if state.log.count > self.retention { state.log.removeFirst() }
            for name in groupNames {
                state.groups[name]!.ready.append(entry)
            }
        }
        self.destinations[destination] = consume state
        var effects = Effects()
        for name in groupNames {
            self.dispatch(destination: destination, group: name, into: &effects)
        }
        return effects
    }

    // MARK: Subscribing

    /// Adds a consumer to `group` (a new broadcast group when `nil`), creating the group at `start` when it is new.
    package mutating func subscribe(
        destination: String,
        group: String?,
        start: StartPosition,
        prefetch: Int,
        owner: OwnerID,
        settlesOnHandout: Bool
    ) -> (ConsumerID, Effects) {
        var state = self.destinations.removeValue(forKey: destination) ?? Destination()
        let groupName: String
        if let group {
            groupName = group
        } else {
            groupName = "~broadcast-\(self.nextBroadcastGroup)"
            self.nextBroadcastGroup += 1
        }
        if state.groups[groupName] == nil {
            var created = Group(isEphemeral: group == nil)
            switch start {
            case .earliest: created.ready = state.log
            case .latest: break
            case .offset(let offset): created.ready = Deque(state.log.filter { $0.offset >= offset })
            case .timestamp(let time):
                created.ready = Deque(state.log.filter { ($0.message.timestamp ?? .distantPast) >= time })
            }
            state.groups[groupName] = created
        }
        let id = self.nextConsumerID
        self.nextConsumerID += 1
        state.groups[groupName]!.members.append(id)
        self.destinations[destination] = consume state
        self.consumers[id] = Consumer(
            destination: destination, group: groupName, owner: owner, prefetch: prefetch,
            settlesOnHandout: settlesOnHandout)
        var effects = Effects()
        self.dispatch(destination: destination, group: groupName, into: &effects)
        return (id, effects)
    }

    /// Removes a consumer; its unsettled deliveries go back to the front of its group's queue.
    package mutating func unsubscribe(_ id: ConsumerID) -> Effects {
        guard let consumer = self.consumers[id] else { return Effects() }
        self.requeueAll(of: id)
        self.consumers[id] = nil
        var effects = Effects()
        guard var group = self.destinations[consumer.destination]?.groups.removeValue(forKey: consumer.group) else {
            return effects
        }
        group.members.removeAll { $0 == id }
        if group.members.isEmpty && group.isEphemeral {
            self.destinations[consumer.destination]!.groups[consumer.group] = nil
        } else {
            self.destinations[consumer.destination]!.groups[consumer.group] = group
            self.dispatch(destination: consumer.destination, group: consumer.group, into: &effects)
        }
        return effects
    }

    /// Whether the consumer still exists.
    package func isSubscribed(_ id: ConsumerID) -> Bool {
        self.consumers[id] != nil
    }

    /// The consumers `owner` opened.
    package func consumers(of owner: OwnerID) -> [ConsumerID] {
        self.consumers.filter { $0.value.owner == owner }.map(\.key).sorted()
    }

    // MARK: Receiving and settling

    /// Hands up to `max` pending deliveries to the application, raising their attempt counts.
    package mutating func receive(consumer id: ConsumerID, max: Int) -> ([Handout], Effects) {
        guard var consumer = self.consumers.removeValue(forKey: id) else { return ([], Effects()) }
        var handouts: [Handout] = []
        while handouts.count < max, let tag = consumer.pending.popFirst() {
            guard var entry = consumer.inFlight[tag] else { continue }
            entry.handedOut += 1
            if consumer.settlesOnHandout {
                consumer.inFlight[tag] = nil
            } else {
                consumer.inFlight[tag] = entry
            }
            handouts.append(Handout(tag: tag, message: entry.message, offset: entry.offset, attempt: entry.handedOut))
        }
        let settlesOnHandout = consumer.settlesOnHandout
        let (destination, group) = (consumer.destination, consumer.group)
        // Put back without keeping a copy: a live copy would share the in-flight table, and the next change
        // to it (a dispatch) would copy the whole table.
        self.consumers[id] = consume consumer
        var effects = Effects()
        if settlesOnHandout && !handouts.isEmpty {
            self.dispatch(destination: destination, group: group, into: &effects)
        }
        return (handouts, effects)
    }

    /// Whether the consumer has deliveries waiting to be handed out.
    package func hasPending(_ id: ConsumerID) -> Bool {
        !(self.consumers[id]?.pending.isEmpty ?? true)
    }

    /// How many messages wait for the consumer's group beyond what its members were handed: the group's queue,
    /// and what was dispatched to this consumer and not yet received.
    package func lag(of id: ConsumerID) -> Int {
        guard let consumer = self.consumers[id] else { return 0 }
        let ready = self.destinations[consumer.destination]?.groups[consumer.group]?.ready.count ?? 0
        return ready + consumer.pending.count
    }

    /// How many deliveries the consumer holds unsettled.
    package func unsettledCount(_ id: ConsumerID) -> Int {
        self.consumers[id]?.inFlight.count ?? 0
    }

    /// The tags in `tags` that the consumer does not hold (already settled, or lost with a connection).
    package func unknownTags(_ tags: [UInt64], consumer id: ConsumerID) -> [UInt64] {
        guard let consumer = self.consumers[id] else { return tags }
        return tags.filter { consumer.inFlight[$0] == nil }
    }

    /// Settles deliveries the consumer holds. Unknown tags must have been ruled out with ``unknownTags(_:consumer:)``.
    ///
    /// - Parameter deadLetterDestination: Where `.deadLetter` sends messages.
    package mutating func settle(
        _ tags: [UInt64],
        consumer id: ConsumerID,
        as outcome: DeliveryOutcome,
        deadLetterDestination: String
    ) -> Effects {
        guard var consumer = self.consumers.removeValue(forKey: id) else { return Effects() }
        var entries: [Entry] = []
        for tag in tags.sorted() {
            if let entry = consumer.inFlight.removeValue(forKey: tag) { entries.append(entry) }
        }
        let (destination, group) = (consumer.destination, consumer.group)
        self.consumers[id] = consume consumer
        var effects = Effects()
        switch outcome {
        case .ack, .discard:
            break
        case .requeue, .retry(after: .zero):
            self.requeueAtFront(entries, destination: destination, group: group)
        case .retry(let delay):
            if !entries.isEmpty {
                effects.delayed.append(Delayed(destination: destination, group: group, entries: entries, delay: delay))
            }
        case .deadLetter(let reason):
            let deadLetters = entries.map { entry in
                var message = entry.message
                message.headers[WellKnownHeader.deadLetterReason] = reason
                message.headers[WellKnownHeader.deadLetterSource] = destination
                message.headers[WellKnownHeader.deadLetterGroup] = group
                message.headers[WellKnownHeader.deadLetterAttempt] = String(entry.handedOut)
                return message
            }
            effects.woken.formUnion(self.publish(deadLetters, to: deadLetterDestination).woken)
        }
        self.dispatch(destination: destination, group: group, into: &effects)
        return effects
    }

    /// Gives delayed entries back to the end of their group's queue, once their delay has passed, as a broker's
    /// retry queue does; a group that has gone since (a broadcast group whose subscriber left) drops them.
    package mutating func returnDelayed(_ delayed: Delayed) -> Effects {
        var effects = Effects()
        guard self.destinations[delayed.destination]?.groups[delayed.group] != nil else { return effects }
        self.destinations[delayed.destination]!.groups[delayed.group]!.ready.append(contentsOf: delayed.entries)
        self.dispatch(destination: delayed.destination, group: delayed.group, into: &effects)
        return effects
    }

    /// Simulates a lost connection for `owner`: every delivery its consumers hold goes back to its group, and
    /// their tags become invalid. The consumers stay subscribed, as after an automatic recovery.
    package mutating func dropConnection(of owner: OwnerID) -> Effects {
        var effects = Effects()
        for id in self.consumers(of: owner) {
            self.requeueAll(of: id)
            let consumer = self.consumers[id]!
            self.dispatch(destination: consumer.destination, group: consumer.group, into: &effects)
        }
        return effects
    }

    /// Simulates a broker restart: every connection drops (as ``dropConnection(of:)`` for every owner) and the
    /// broadcast groups, which are not durable, lose the messages they held. Durable groups and logs survive.
    package mutating func restart() -> Effects {
        for id in self.consumers.keys.sorted() {
            self.requeueAll(of: id)
        }
        var effects = Effects()
        let groups = self.destinations.flatMap { name, destination in
            destination.groups.map { (destination: name, group: $0.key, isEphemeral: $0.value.isEphemeral) }
        }
        for (destination, group, isEphemeral) in groups {
            if isEphemeral {
                self.destinations[destination]!.groups[group]!.ready.removeAll()
            }
            self.dispatch(destination: destination, group: group, into: &effects)
        }
        return effects
    }

    // MARK: Internals

    private mutating func requeueAll(of id: ConsumerID) {
        guard var consumer = self.consumers.removeValue(forKey: id) else { return }
        let entries = consumer.inFlight.sorted { $0.key < $1.key }.map(\.value)
        consumer.inFlight.removeAll()
        consumer.pending.removeAll()
        let (destination, group) = (consumer.destination, consumer.group)
        self.consumers[id] = consume consumer
        self.requeueAtFront(entries, destination: destination, group: group)
    }

    private mutating func requeueAtFront(_ entries: [Entry], destination: String, group: String) {
        guard !entries.isEmpty, self.destinations[destination]?.groups[group] != nil else { return }
        self.destinations[destination]!.groups[group]!.ready.insert(contentsOf: entries, at: 0)
    }

    /// Moves ready entries to members with room under their prefetch limit, round-robin.
    private mutating func dispatch(destination: String, group name: String, into effects: inout Effects) {
        guard self.destinations[destination]?.groups[name]?.members.isEmpty == false,
            var group = self.destinations[destination]?.groups.removeValue(forKey: name)
        else { return }
        while !group.ready.isEmpty {
            var chosen: ConsumerID?
            for step in 0..<group.members.count {
                let candidate = group.members[(group.nextMember + step) % group.members.count]
                // Read through optional chaining, not bound to a copy: a copy of the consumer would share its
                // in-flight table, and the insertion below would then copy the whole table.
                if let held = self.consumers[candidate]?.inFlight.count, let prefetch = self.consumers[candidate]?.prefetch,
                    held < prefetch
                {
                    chosen = candidate
                    group.nextMember = (group.nextMember + step + 1) % group.members.count
                    break
                }
            }
            guard let id = chosen else { break }
            let entry = group.ready.removeFirst()
            let tag = self.nextTag
            self.nextTag += 1
            self.consumers[id]!.inFlight[tag] = entry
            self.consumers[id]!.pending.append(tag)
            effects.woken.insert(id)
        }
        self.destinations[destination]!.groups[name] = group
    }
}
