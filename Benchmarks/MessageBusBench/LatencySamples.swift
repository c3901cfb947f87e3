/// Collects a latency consumer's samples: marks the consumer ready on its first message and keeps the latency of
/// every stamped one.
struct LatencySamples {
    private(set) var values: [UInt64] = []
    let ready: ReadySignal

    init(expected: Int, ready: ReadySignal) {
        self.values.reserveCapacity(expected)
        self.ready = ready
    }

    /// Records the message whose body is `body`, received now; `true` when it was a stamped (timed) one.
    mutating func record(_ body: UnsafeRawBufferPointer) -> Bool {
        let received = LatencyStamp.now()
        self.ready.set()
        let stamp = LatencyStamp.read(body)
        guard stamp != LatencyStamp.warmUp else { return false }
        self.values.append(received &- stamp)
        return true
    }
}
