public import Logging
public import MessageBus

/// Copies messages from one bus to another: the tool for moving a backlog from Kafka to RabbitMQ, RabbitMQ to
/// Kafka, or between any two buses (`memory://` included).
///
/// The bridge consumes a ``MessageBridgeSource`` on the source bus and publishes each message to the target bus
/// unchanged: payload, key, headers, id, content type, correlation id and timestamp as the source backend
/// delivered them (the target backend then maps them onto its own fields, see the README's table).
///
/// ## Guarantees
/// - **At-least-once.** A source delivery is acknowledged only after the target confirmed the publish of its
///   batch (``/MessageBus/MessageBus/publish(contentsOf:to:)``); a crash or a failure leaves it unacknowledged, and
///   the source delivers it again.
/// - **No duplicates across restarts** with a ``MessageBridgeOptions/deduplicationStore``: ids of copied messages
///   are remembered (per target destination) after the target confirmed them and before the source is
///   acknowledged, so a redelivered message is acknowledged without being published again. Only a process killed
///   between the target's confirmation and the store's commit publishes again what it had in flight (at most
///   ``MessageBridgeOptions/maxInFlight`` messages); consumers of the target under
///   ``/MessageBus/DeliveryGuarantee/effectivelyOnce(deduplicatingWith:)`` drop those by id. Cancelling the task
///   does not: the batches already sent are confirmed, recorded and acknowledged before ``run(progress:)`` returns.
/// - **Bounded memory.** At most ``MessageBridgeOptions/maxInFlight`` deliveries are unacknowledged at once.
/// - **A RabbitMQ target drops what no queue takes** unless it refuses unroutable messages: open it with
///   `mandatory=true` in its URL (`messagebus bridge` does), and such a message fails the run with
///   ``/MessageBus/MessageBusError/Code/unroutable`` while its source delivery stays unacknowledged.
///
/// ```swift
/// let store = try SQLiteDeduplicationStore(path: "bridge-orders.sqlite")
/// let bridge = MessageBridge(
///     from: kafka, to: rabbit, source: .destination("orders", group: "billing"),
///     options: MessageBridgeOptions(deduplicationStore: store, cutOverIdle: .seconds(5)))
/// let report = try await bridge.run { progress in print(progress.copied) }
/// ```
public struct MessageBridge: Sendable {
    /// The bus messages are read from.
    public let source: any MessageBus
    /// The bus messages are published to.
    public let target: any MessageBus
    /// What is consumed on ``source``.
    public let consuming: MessageBridgeSource
    /// How the bridge copies.
    public let options: MessageBridgeOptions
    private let logger: Logger

    /// Creates a bridge; nothing happens until ``run(progress:)``.
    ///
    /// - Parameters:
    ///   - source: The bus to read from.
    ///   - target: The bus to publish to.
    ///   - consuming: What to read on `source`.
    ///   - options: Batching, de-duplication, cut-over and dead letters.
    ///   - logger: Where the bridge logs (at debug level and below).
    public init(
        from source: any MessageBus, to target: any MessageBus, source consuming: MessageBridgeSource,
        options: MessageBridgeOptions = MessageBridgeOptions(), logger: Logger = Logger(label: "messagebus.bridge")
    ) {
        self.source = source
        self.target = target
        self.consuming = consuming
        self.options = options
        var logger = logger
        logger[metadataKey: "messagebus.bridge.source"] = .string(consuming.description)
        self.logger = logger
    }

    /// Copies until the cut-over (``MessageBridgeOptions/cutOverIdle``) or until the task is cancelled, and
    /// returns what was done.
    ///
    /// Cancellation stops the bridge between batches: a batch being published completes and is acknowledged, the
    /// deliveries not yet copied go back to the source. The subscriptions are cancelled before this returns; the
    /// buses stay open.
    ///
    /// - Parameter progress: Called every ``MessageBridgeOptions/progressInterval`` with a snapshot, from a task of
    ///   the bridge; keep it short.
    /// - Returns: The report: why it stopped, the figures and the positions copied.
    /// - Throws: ``/MessageBus/MessageBusError/Code/invalidConfiguration`` for options out of range,
    ///   ``/MessageBus/MessageBusError/Code/unsupported`` for dead letters of a custom source, and the first failure
    ///   of the source, the target or the store.
    public func run(
        progress: (@Sendable (MessageBridgeProgress) -> Void)? = nil
    ) async throws -> MessageBridgeReport {
        try self.options.validate()
        let subscriptionOptions = SubscriptionOptions(prefetch: self.options.maxInFlight)
        var sources = [(self.consuming, false)]
        if self.options.deadLetters {
            sources.append((try self.consuming.deadLetterSource(options: subscriptionOptions), true))
        }
        let statistics = BridgeStatistics()
        let confirmation = TargetConfirmation(target: self.target)
        var subscriptions: [Subscription] = []
        do {
            var lanes: [BridgeLane] = []
            for (source, carriesDeadLetters) in sources {
                let subscription = try await source.open(on: self.source, options: subscriptionOptions)
                subscriptions.append(subscription)
                lanes.append(BridgeLane(
                    subscription: subscription, target: self.target, confirmation: confirmation, options: self.options,
                    carriesDeadLetters: carriesDeadLetters, statistics: statistics, logger: self.logger))
            }
            self.logger.debug("bridge started", metadata: ["lanes": "\(lanes.count)"])
            let reason = try await self.run(lanes, statistics: statistics, progress: progress)
            for subscription in subscriptions { await subscription.cancel() }
            var final = statistics.snapshot(lag: await self.sourceLag())
            final.messagesPerSecond = final.averageMessagesPerSecond
            self.logger.debug("bridge stopped", metadata: ["reason": "\(reason)", "copied": "\(final.copied)"])
            return MessageBridgeReport(stopReason: reason, final: final)
        } catch {
            for subscription in subscriptions { await subscription.cancel() }
            throw error
        }
    }

    /// Runs the lanes and the progress monitor until the monitor sees the cut-over or the task is cancelled.
    private func run(
        _ lanes: [BridgeLane], statistics: BridgeStatistics, progress: (@Sendable (MessageBridgeProgress) -> Void)?
    ) async throws -> MessageBridgeReport.StopReason {
        try await withThrowingTaskGroup(of: MessageBridgeReport.StopReason?.self) { group in
            for lane in lanes {
                group.addTask {
                    try await lane.run()
                    return nil
                }
            }
            group.addTask { await self.monitor(statistics, progress: progress) }
            while let result = try await group.next() {
                if let reason = result {
                    group.cancelAll()
                    try await group.waitForAll()
                    return reason
                }
            }
            return .cancelled
        }
    }

    /// Reports progress and watches for the cut-over; returns ``MessageBridgeReport/StopReason/cutOver`` when it
    /// comes, ``MessageBridgeReport/StopReason/cancelled`` when the task is cancelled first.
    private func monitor(
        _ statistics: BridgeStatistics, progress: (@Sendable (MessageBridgeProgress) -> Void)?
    ) async -> MessageBridgeReport.StopReason {
        // Ticks often enough to see the cut-over within a fifth of its idle time.
        var tick = self.options.progressInterval
        if let idle = self.options.cutOverIdle { tick = min(tick, max(idle / 5, .milliseconds(20))) }
        var lastReport = statistics.started
        while true {
            do {
                try await Task.sleep(for: tick)
            } catch {
                return .cancelled
            }
            let now = ContinuousClock.now
            let needsLag = now - lastReport >= self.options.progressInterval || self.isIdleEnough(statistics, now: now)
            let lag = needsLag ? await self.sourceLag() : nil
            if let progress, now - lastReport >= self.options.progressInterval {
                lastReport = now
                progress(statistics.snapshot(now: now, lag: lag))
            }
            if self.isIdleEnough(statistics, now: now), self.options.sourceLag == nil || lag == 0 {
                return .cutOver
            }
        }
    }

    /// Whether the cut-over's idle time has passed with nothing in flight.
    private func isIdleEnough(_ statistics: BridgeStatistics, now: ContinuousClock.Instant) -> Bool {
        guard let idle = self.options.cutOverIdle else { return false }
        let (idleFor, inFlight) = statistics.idleness(now: now)
        return inFlight == 0 && idleFor >= idle
    }

    /// The source's lag, when the options can tell; `nil` (logged) when asking fails.
    private func sourceLag() async -> Int64? {
        guard let probe = self.options.sourceLag else { return nil }
        do {
            return try await probe()
        } catch {
            self.logger.debug("source lag unavailable", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
