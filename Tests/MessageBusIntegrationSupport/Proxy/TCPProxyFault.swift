/// What a ``TCPProxy`` does to the traffic it forwards.
package enum TCPProxyFault: Sendable, Equatable, CustomStringConvertible {
    /// Forwards everything at once.
    case none
    /// Forwards nothing in either direction and keeps every connection open, new ones too: a network path
    /// that silently stops carrying packets. Data sent meanwhile is delivered once the stall ends.
    case stall
    /// Delays every chunk by `latency` and limits each direction of each connection to `bytesPerSecond`.
    case slow(latency: Duration, bytesPerSecond: Int)
    /// Resets every new connection as soon as it is accepted: a broker that is down.
    case refuse

    package var description: String {
        switch self {
        case .none: "forwarding"
        case .stall: "stalled"
        case .slow(let latency, let rate): "slowed (\(latency) latency, \(rate / 1024) KiB/s)"
        case .refuse: "refusing connections"
        }
    }
}
