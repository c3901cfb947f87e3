import Synchronization

/// Makes the default ``Message/id``: a version-4-layout UUID string, without a system call per id.
///
/// Foundation's `UUID()` reads the kernel's random source on every call (about 3 µs and 3 system calls per id on
/// Linux), which made creating a message cost more than publishing it. Here the kernel is asked once per process
/// for a seed; each id then mixes a process-wide counter through a bijection (so ids of one process never repeat
/// before 2^64 of them) and carries 58 random bits fixed for the process (so two processes, or one restarted,
/// collide only if those bits and the mixed counter both match). The id is held as its bits (``MessageIdentifier``) and
/// formatted upper-case, like Foundation's `uuidString`, when it is read.
enum MessageIDGenerator {
    private struct Seed {
        /// Keys the counter's bijection, so that consecutive ids share no visible pattern.
        let counterKey: UInt64
        /// The 58 bits every id of this process carries besides the counter.
        let processBits: UInt64

        init() {
            var generator = SystemRandomNumberGenerator()
            self.counterKey = generator.next()
            self.processBits = generator.next() & ((1 << 58) - 1)
        }
    }

    private static let seed = Seed()
    private static let counter = Atomic<UInt64>(0)

    /// A new identifier, unique across processes with overwhelming probability and within one process for sure.
    static func next() -> MessageIdentifier {
        let count = self.counter.wrappingAdd(1, ordering: .relaxed).oldValue
        return self.layout(mixed: Self.mix(count ^ self.seed.counterKey), processBits: self.seed.processBits)
    }

    /// The splitmix64 finaliser: a bijection on 64-bit values, so distinct counters give distinct results.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Lays out the 64 bits of `mixed` and the 58 of `processBits` as a version-4 UUID.
    ///
    /// Fields (RFC 9562): `time_low` (32) and `time_mid` (16) and the 12 bits after the version nibble take 60 bits
    /// of `mixed`; its last 4 bits start the 14-bit `clock_seq` after the variant bits; the other 10 bits of
    /// `clock_seq` and the 48-bit node are `processBits`.
    static func layout(mixed: UInt64, processBits: UInt64) -> MessageIdentifier {
        // Bits 63...16: mixed's top 48 bits; 15...12: the version (4); 11...0: mixed's next 12 bits.
        let versioned = (mixed & ~0xFFFF) | 0x4000 | ((mixed >> 4) & 0x0FFF)
        let clockSequence = 0x8000 | (mixed & 0xF) << 10 | (processBits >> 48) & 0x3FF
        let low = clockSequence << 48 | processBits & 0xFFFF_FFFF_FFFF
        return .uuid(high: versioned, low: low, lowercase: false)
    }
}
