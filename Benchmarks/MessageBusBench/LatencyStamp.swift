import Foundation

/// The send time a latency message carries in its first 8 bytes: `CLOCK_MONOTONIC` nanoseconds, which the
/// publisher and the consumer share because they run in this process. Zero marks a warm-up message.
enum LatencyStamp {
    static let warmUp: UInt64 = 0

    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    /// A payload of `size` bytes (at least 8) that starts with `stamp`.
    static func payload(_ stamp: UInt64, size: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: UInt8(ascii: "x"), count: max(8, size))
        withUnsafeBytes(of: stamp.littleEndian) { stampBytes in
            bytes.withUnsafeMutableBytes { $0.copyMemory(from: stampBytes) }
        }
        return bytes
    }

    /// The stamp at the start of `body`, or ``warmUp`` when it is too short to carry one.
    static func read(_ body: UnsafeRawBufferPointer) -> UInt64 {
        guard body.count >= 8 else { return self.warmUp }
        return UInt64(littleEndian: body.loadUnaligned(as: UInt64.self))
    }
}
