import MessageBus
import Synchronization

/// The running figures of one bridge, updated once per batch by its lanes and read by its progress loop.
final class BridgeStatistics: Sendable {
    private struct PlaceKey: Hashable {
        var destination: String
        var partition: Int32?
        var unit: MessageBridgePositionRange.Unit
    }

    private struct State {
        var copied = 0
        var duplicatesSkipped = 0
        var deadLettersMoved = 0
        var inFlight = 0
        var lastActivity: ContinuousClock.Instant
        var ranges: [PlaceKey: (first: Int64, last: Int64)] = [:]
        /// Where ``BridgeStatistics/snapshot(now:lag:)`` last measured the rate.
        var rateMark: (at: ContinuousClock.Instant, moved: Int)
    }

    let started: ContinuousClock.Instant
    private let state: Mutex<State>

    init(started: ContinuousClock.Instant = .now) {
        self.started = started
        self.state = Mutex(State(lastActivity: started, rateMark: (started, 0)))
    }

    /// Records that `count` deliveries were received and are now in flight.
    func received(_ count: Int) {
        self.state.withLock { state in
            state.inFlight += count
            state.lastActivity = .now
        }
    }

    /// Records a settled batch: `published` deliveries copied (or moved, on the dead-letter lane) and
    /// `duplicates` skipped, all of them acknowledged on the source.
    func settled(_ deliveries: [Delivery], published: Int, duplicates: Int, deadLetters: Bool) {
        self.state.withLock { state in
            state.inFlight -= deliveries.count
            if deadLetters { state.deadLettersMoved += published } else { state.copied += published }
            state.duplicatesSkipped += duplicates
            state.lastActivity = .now
            for delivery in deliveries {
                let key: PlaceKey
                let position: Int64
                if let deliveryPosition = delivery.position {
                    key = PlaceKey(destination: delivery.destination, partition: deliveryPosition.partition, unit: .offset)
                    position = deliveryPosition.offset
                } else {
                    key = PlaceKey(destination: delivery.destination, partition: nil, unit: .deliveryTag)
                    position = Int64(truncatingIfNeeded: delivery.tag)
                }
                if let range = state.ranges[key] {
                    state.ranges[key] = (min(range.first, position), max(range.last, position))
                } else {
                    state.ranges[key] = (position, position)
                }
            }
        }
    }

    /// Records that `count` deliveries in flight were given back to the source unsettled (a failed batch).
    func abandoned(_ count: Int) {
        self.state.withLock { $0.inFlight -= count }
    }

    /// How long nothing has been received or settled, and whether anything is in flight.
    func idleness(now: ContinuousClock.Instant = .now) -> (idle: Duration, inFlight: Int) {
        self.state.withLock { (now - $0.lastActivity, $0.inFlight) }
    }

    /// The figures now; the rate covers the time since the previous snapshot.
    func snapshot(now: ContinuousClock.Instant = .now, lag: Int64?) -> MessageBridgeProgress {
        self.state.withLock { state in
            let moved = state.copied + state.deadLettersMoved
            let interval = now - state.rateMark.at
            let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
            let rate = seconds > 0 ? Double(moved - state.rateMark.moved) / seconds : 0
            state.rateMark = (now, moved)
            let positions = state.ranges
                .map { key, range in
                    MessageBridgePositionRange(
                        destination: key.destination, partition: key.partition, unit: key.unit, first: range.first,
                        last: range.last)
                }
                .sorted { ($0.destination, $0.partition ?? -1) < ($1.destination, $1.partition ?? -1) }
            return MessageBridgeProgress(
                elapsed: now - self.started, copied: state.copied, duplicatesSkipped: state.duplicatesSkipped,
                deadLettersMoved: state.deadLettersMoved, inFlight: state.inFlight, messagesPerSecond: rate,
                sourceLag: lag, positions: positions)
        }
    }
}
