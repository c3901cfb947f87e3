import MessageBus

/// The mutable state of one Kafka subscription, kept under its lock.
struct KafkaSubscriptionState {
    /// A delivery handed out and not yet settled.
    struct Outstanding {
        var partition: KafkaTopicPartition
        var offset: Int64
        /// The assignment it came from; acknowledging it after its partition was revoked commits nothing.
        var epoch: UInt64
    }

    /// A task waiting in `receive`.
    struct Waiter {
        var id: UInt64
        var max: Int
        var continuation: CheckedContinuation<[Delivery]?, Never>
        /// Ends the wait with nothing when the receive timeout passes; cancelled once the waiter is served.
        var timer: Task<Void, Never>?
    }

    /// Polled and not yet handed out, in poll order.
    var buffer: [Delivery] = []
    /// Where `buffer` starts (consumed prefixes are dropped lazily).
    var bufferStart = 0
    /// Handed out and unsettled, by tag (only when the guarantee needs acknowledgements).
    var outstanding: [UInt64: Outstanding] = [:]
    /// Per assigned partition: its acknowledgement tracker and the assignment epoch it belongs to.
    var trackers: [KafkaTopicPartition: (tracker: PartitionAckTracker, epoch: UInt64)] = [:]
    var waiters: [Waiter] = []
    var nextTag: UInt64 = 0
    var nextWaiterID: UInt64 = 0
    var epoch: UInt64 = 0
    var isClosed = false
    var failure: MessageBusError?

    /// Buffered deliveries not yet handed out.
    var bufferedCount: Int { self.buffer.count - self.bufferStart }

    /// Takes up to `max` buffered deliveries.
    mutating func take(_ max: Int) -> [Delivery] {
        let end = min(self.buffer.count, self.bufferStart + max)
        let taken = Array(self.buffer[self.bufferStart..<end])
        self.bufferStart = end
        if self.bufferStart == self.buffer.count {
            self.buffer.removeAll(keepingCapacity: true)
            self.bufferStart = 0
        }
        return taken
    }
}
