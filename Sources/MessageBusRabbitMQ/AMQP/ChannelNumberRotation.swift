/// Hands out consumer channel numbers in turn from the numbers a connection allows (at most 2047), rather than
/// the lowest free one.
///
/// A number closed a moment ago may still have frames waiting: `amqp_channel_close` queues every frame it reads
/// while it waits for `close-ok`, deliveries of the closed channel among them, and the owner reads them after. A
/// consumer opened at once on the same number took them as its own, so it settled the old channel's delivery tags
/// on the new channel, which the broker answers by closing it (406 unknown delivery tag). Taken in turn, a number
/// comes back only after every other one, long after its queued frames were read and dropped.
struct ChannelNumberRotation {
    /// The highest number handed out in turn (RabbitMQ's default `channel_max`), which bounds the table of
    /// consumers by channel.
    static let limit = 2047

    /// The lowest number handed out (the ones below are the connection's fixed channels).
    let first: UInt16
    /// The number tried next.
    private(set) var next: UInt16

    init(first: UInt16) {
        self.first = first
        self.next = first
    }

    /// The next free number in turn; when every number up to the connection's limit is taken, the lowest free one
    /// above them (which the broker refuses beyond its `channel_max`).
    ///
    /// - Parameters:
    ///   - channelMax: The connection's negotiated `channel_max` (0: no limit of its own).
    ///   - isFree: Whether no consumer uses a number.
    mutating func take(channelMax: Int, isFree: (UInt16) -> Bool) -> UInt16 {
        let last = UInt16(min(channelMax > 0 ? channelMax : Self.limit, Self.limit))
        if last >= self.first {
            for _ in self.first...last {
                let candidate = min(max(self.next, self.first), last)
                self.next = candidate == last ? self.first : candidate + 1
                if isFree(candidate) { return candidate }
            }
        }
        var candidate = max(last, self.first - 1) + 1
        while !isFree(candidate) { candidate += 1 }
        return candidate
    }
}
