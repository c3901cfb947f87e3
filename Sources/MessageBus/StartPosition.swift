public import struct Foundation.Date

/// Where a subscriber group that has never acknowledged anything starts reading.
///
/// A group that already exists resumes after its last acknowledgement, whatever the start position says.
public enum StartPosition: Sendable, Hashable {
    /// Everything the destination still retains.
    case earliest
    /// Only messages published after the subscription started.
    case latest
    /// From the given position in the destination's log (needs ``MessageBusCapabilities/replay``).
    case offset(Int64)
    /// From the first message published at or after the given time (needs ``MessageBusCapabilities/replay``).
    case timestamp(Date)

    /// Whether this position reaches into the past beyond what every backend can do.
    public var needsReplay: Bool {
        switch self {
        case .earliest, .latest: false
        case .offset, .timestamp: true
        }
    }
}
