import MessageBus

/// The consuming decisions of one RabbitMQ connection, without any I/O: which channel number a subscription
/// opens, which channel opening a delivery belongs to, which tags are unsettled and how a batch of settlements goes
/// out (one `multiple` acknowledgement for the oldest run, single ones for the rest), what a channel closed by the
/// broker, a `basic.cancel`, a cancelled subscription or a lost connection mean for each subscription, and where a
/// stream consumer resumes.
///
/// ``AMQPConnectionOwner`` performs the I/O these decisions call for (opening channels, declaring, `basic.consume`,
/// writing acknowledgements, ending inboxes) and reports the outcome back. The machine carries each subscription's
/// ``SubscribeRequest`` so that the owner can reach its inbox, but never calls it, never calls rabbitmq-c and never
/// reads a clock: every decision is unit-tested without a broker.
struct AMQPConsumerStateMachine {
    /// One subscription as the connection tracks it.
    struct Consumer {
        let request: SubscribeRequest
        /// The channel it consumes (or polls) on; 0 while it has none (recovering, or a poller before its first
        /// `get`).
        fileprivate(set) var channel: UInt16 = 0
        /// Which opening of a channel it consumes on: a delivery tag is settled only on the opening that issued it.
        fileprivate(set) var channelEpoch = 0
        /// The queue it consumes (server-named for broadcast, so it changes on recovery).
        fileprivate(set) var queueName = ""
        /// Delivery tags delivered and not yet settled on the current channel opening.
        fileprivate(set) var unsettled = UnsettledTags()
        /// For a stream consumer, where it resumes after a recovery rather than at its original start position:
        /// after the last delivery read, or at the first one dropped unread from the inbox when the connection went.
        fileprivate(set) var nextStreamOffset: Int64?

        var subscriptionID: UInt64 { self.request.subscriptionID }

        /// A `basic.get` channel rather than a consumer: the broker closing it costs the unsettled deliveries, not
        /// the subscription.
        var isPoller: Bool {
            if case .polling = self.request.source { return true }
            return false
        }
    }

    /// One acknowledgement frame to write.
    struct SettlementFrame: Equatable {
        let channel: UInt16
        let tag: UInt64
        let multiple: Bool
        let outcome: SettleRequest.Outcome
    }

    /// What the broker closing a consumer's channel (or cancelling its consumer) means.
    enum ChannelLoss {
        /// No subscription uses the channel (it was cancelled meanwhile): nothing to do.
        case unknown
        /// The subscription ended: its inbox ends with an error naming the consumer.
        case ended(Consumer)
        /// A poller lost its channel: the deliveries got on it went back to their queues; the next `get` opens a new
        /// one.
        case pollerReset(Consumer)
    }

    /// The lowest consumer channel number (1 publishes, 2 declares topology).
    static let firstConsumerChannel: UInt16 = 3

    private(set) var consumers: [UInt64: Consumer] = [:]
    private var subscriptionByChannel = ChannelTable<UInt64>()
    private var channelNumbers = ChannelNumberRotation(first: Self.firstConsumerChannel)
    /// Numbers every channel a consumer or poller opens, across connections.
    private var lastChannelEpoch = 0

    // MARK: What the owner asks

    /// The subscription consuming on `channel`, if any.
    func consumer(on channel: UInt16) -> Consumer? {
        self.subscriptionByChannel[channel].flatMap { self.consumers[$0] }
    }

    /// Whether any delivery awaits settlement (the owner then looks for queued settlements often).
    var holdsUnsettledDeliveries: Bool {
        self.consumers.values.contains { $0.unsettled.count > 0 }
    }

    /// The subscriptions to start again on a new connection, in the order they were made.
    var consumersToRestart: [Consumer] {
        self.consumers.values.filter { !$0.isPoller }.sorted { $0.subscriptionID < $1.subscriptionID }
    }

    // MARK: Channels

    /// The channel number the next subscription (or a restart, or a poller's reopening) opens: taken in turn
    /// (``ChannelNumberRotation``), never one in use, at most the connection's `channel_max`.
    mutating func channelToOpen(channelMax: Int) -> UInt16 {
        self.channelNumbers.take(channelMax: channelMax) { self.subscriptionByChannel[$0] == nil }
    }

    /// A subscription's channel is open and consuming `queueName` (or polling): it gets a new channel opening, with
    /// no unsettled tags. A subscription already known (restarted after a recovery, or a poller reopening) keeps
    /// its stream position.
    mutating func started(_ request: SubscribeRequest, channel: UInt16, queueName: String) {
        var consumer = self.consumers[request.subscriptionID] ?? Consumer(request: request)
        if consumer.channel != 0, self.subscriptionByChannel[consumer.channel] == consumer.subscriptionID {
            self.subscriptionByChannel[consumer.channel] = nil
        }
        self.lastChannelEpoch += 1
        consumer.channel = channel
        consumer.channelEpoch = self.lastChannelEpoch
        consumer.queueName = queueName
        consumer.unsettled.removeAll()
        self.consumers[request.subscriptionID] = consumer
        self.subscriptionByChannel[channel] = request.subscriptionID
    }

    /// Whether a poller has a channel to `get` on (otherwise it opens one first).
    func pollerHasChannel(_ subscriptionID: UInt64) -> Bool {
        (self.consumers[subscriptionID]?.channel ?? 0) != 0
    }

    // MARK: Deliveries

    /// A delivery arrived on `channel`: records its tag as unsettled when `tracked` (not for no-ack consumers) and,
    /// for a stream, the offset to resume after.
    ///
    /// - Returns: the subscription it belongs to, with its channel opening; `nil` when no subscription consumes on
    ///   `channel` (frames of a channel closed a moment ago): the delivery is dropped.
    mutating func delivered(tag: UInt64, streamOffset: Int64?, tracked: Bool, on channel: UInt16) -> Consumer? {
        guard let subscriptionID = self.subscriptionByChannel[channel] else { return nil }
        return self.modify(subscriptionID) { consumer in
            if let streamOffset { consumer.nextStreamOffset = streamOffset + 1 }
            if tracked { consumer.unsettled.insert(tag) }
        }
    }

    /// Decides the frames that settle `request`'s tags, appended to `frames`: one `multiple` frame for the run of
    /// tags below the oldest still unsettled (when it covers more than one), then one frame per other tag, in order.
    /// Tags already settled are ignored (the broker would close the channel for a tag settled twice).
    ///
    /// - Returns: The subscription's inbox, to tell it its settlements went out; `nil` when the request is for a
    ///   channel opening that is gone (the broker already gave those deliveries back to their queue) or for an
    ///   ended subscription: nothing is written.
    mutating func settle(_ request: SettleRequest, into frames: inout [SettlementFrame]) -> RabbitMQInbox? {
        guard let index = self.consumers.index(forKey: request.subscriptionID) else { return nil }
        let channel = self.consumers.values[index].channel
        guard channel != 0, self.consumers.values[index].channelEpoch == request.channelEpoch else { return nil }
        let (upTo, together, singles) = self.consumers.values[index].unsettled.settle(request.amqpTags)
        if let upTo {
            frames.append(SettlementFrame(channel: channel, tag: upTo, multiple: together > 1, outcome: request.outcome))
        }
        for tag in singles {
            frames.append(SettlementFrame(channel: channel, tag: tag, multiple: false, outcome: request.outcome))
        }
        return self.consumers.values[index].request.inbox
    }

    // MARK: Endings

    /// Forgets `subscriptionID`: the application cancelled it (the channel it consumed on, if any, is to be closed,
    /// which makes the broker requeue what it had not settled), starting it again after a recovery failed on a
    /// channel error, or a poller's channel was closed by the broker (its next `get` opens a new one).
    mutating func remove(_ subscriptionID: UInt64) -> Consumer? {
        guard let consumer = self.consumers.removeValue(forKey: subscriptionID) else { return nil }
        if consumer.channel != 0 { self.subscriptionByChannel[consumer.channel] = nil }
        return consumer
    }

    /// The broker closed `channel` (a channel error) or cancelled its consumer (`basic.cancel`: its queue was
    /// deleted or its node went away).
    mutating func channelLost(_ channel: UInt16) -> ChannelLoss {
        guard let subscriptionID = self.subscriptionByChannel[channel],
            let consumer = self.remove(subscriptionID)
        else { return .unknown }
        return consumer.isPoller ? .pollerReset(consumer) : .ended(consumer)
    }

    /// The connection broke: every channel is gone with its unsettled tags (the broker requeues them). The
    /// subscriptions stay, to be restarted on the next connection; pollers reopen a channel on their next `get`.
    mutating func connectionLost() {
        for subscriptionID in Array(self.consumers.keys) {
            self.modify(subscriptionID) { consumer in
                consumer.channel = 0
                consumer.unsettled.removeAll()
            }
        }
        self.subscriptionByChannel.removeAll()
    }

    /// A stream consumer's inbox dropped unread deliveries when the connection went: it resumes at the first of
    /// them rather than after the last one read.
    mutating func resumeStream(_ subscriptionID: UInt64, at offset: Int64) {
        self.modify(subscriptionID) { $0.nextStreamOffset = offset }
    }

    /// The connection ended for good: every subscription is forgotten and returned, to end its inbox.
    mutating func terminate() -> [Consumer] {
        defer {
            self.consumers.removeAll()
            self.subscriptionByChannel.removeAll()
        }
        return self.consumers.values.sorted { $0.subscriptionID < $1.subscriptionID }
    }

    /// Changes one subscription in place (its tag window is not copied) and returns it as changed.
    @discardableResult
    private mutating func modify(_ subscriptionID: UInt64, _ change: (inout Consumer) -> Void) -> Consumer? {
        guard let index = self.consumers.index(forKey: subscriptionID) else { return nil }
        change(&self.consumers.values[index])
        return self.consumers.values[index]
    }
}
