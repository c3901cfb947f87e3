#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import DequeModule

/// The bytes read from one side of a proxied connection and not yet written to the other, in chunks that each
/// become writable at their release time (later than now only while the proxy slows traffic).
struct ProxyDirection {
    /// Stops reading from the source once this many bytes wait: the proxy's backpressure.
    static let limit = 1 << 20

    private var chunks: Deque<(bytes: [UInt8], offset: Int, releaseAt: ContinuousClock.Instant)> = []
    private var lastRelease = ContinuousClock.now
    /// Bytes waiting to be written.
    private(set) var pending = 0
    /// The source has closed its sending side (read returned 0).
    var sourceClosed = false
    /// The destination's sending side was shut down after `sourceClosed` and an empty queue.
    var destinationShutDown = false

    /// Whether the proxy reads more from the source now.
    var acceptsMore: Bool { !self.sourceClosed && self.pending < Self.limit }

    /// Queues `bytes`, released after `latency` and no sooner than the rate allows after the previous chunk.
    mutating func append(_ bytes: [UInt8], latency: Duration, bytesPerSecond: Int?, now: ContinuousClock.Instant) {
        var releaseAt = now + latency
        if let bytesPerSecond, bytesPerSecond > 0 {
            let transmission = Duration.seconds(Double(bytes.count) / Double(bytesPerSecond))
            releaseAt = max(releaseAt, self.lastRelease + transmission)
        }
        self.lastRelease = releaseAt
        self.chunks.append((bytes, 0, releaseAt))
        self.pending += bytes.count
    }

    /// The first chunk's release time, when it is not yet writable.
    func nextRelease(after now: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        guard let first = self.chunks.first, first.releaseAt > now else { return nil }
        return first.releaseAt
    }

    /// Whether a chunk can be written now.
    func hasReleased(at now: ContinuousClock.Instant) -> Bool {
        self.chunks.first.map { $0.releaseAt <= now } ?? false
    }

    /// Writes released chunks to `descriptor` until the socket would block. Returns `false` on a write error.
    mutating func flush(to descriptor: Int32, now: ContinuousClock.Instant) -> Bool {
        while let first = self.chunks.first, first.releaseAt <= now {
            let written = first.bytes.withUnsafeBytes { buffer in
                // send with MSG_NOSIGNAL: a peer that has gone must not end the process with SIGPIPE.
                send(descriptor, buffer.baseAddress! + first.offset, buffer.count - first.offset, Int32(MSG_NOSIGNAL))
            }
            if written < 0 { return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR }
            self.pending -= written
            if first.offset + written == first.bytes.count {
                self.chunks.removeFirst()
            } else {
                self.chunks[self.chunks.startIndex].offset += written
                return true
            }
        }
        return true
    }
}
