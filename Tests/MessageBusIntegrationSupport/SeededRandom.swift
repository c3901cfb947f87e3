/// A fast, seedable random number generator (SplitMix64) for the seeded random-input tests: the same seed gives
/// the same inputs, so a failure names its seed and case number and can be replayed exactly.
package struct SeededRandom: RandomNumberGenerator {
    /// The seed the tests use unless MESSAGEBUS_FUZZ_SEED names another.
    package static let defaultSeed: UInt64 = 0x6d65_7373_6167_6562

    private var state: UInt64

    package init(seed: UInt64) {
        self.state = seed
    }

    package mutating func next() -> UInt64 {
        self.state &+= 0x9e37_79b9_7f4a_7c15
        var value = self.state
        value = (value ^ (value >> 30)) &* 0xbf58_476d_1ce4_e5b9
        value = (value ^ (value >> 27)) &* 0x94d0_49bb_1331_11eb
        return value ^ (value >> 31)
    }

    /// A string of `0...maxLength` characters drawn from `alphabet`.
    package mutating func string(from alphabet: [Character], maxLength: Int) -> String {
        String((0..<Int.random(in: 0...maxLength, using: &self)).map { _ in alphabet.randomElement(using: &self)! })
    }

    /// `0...maxLength` random bytes.
    package mutating func bytes(maxLength: Int) -> [UInt8] {
        (0..<Int.random(in: 0...maxLength, using: &self)).map { _ in UInt8.random(in: 0...255, using: &self) }
    }

    /// One of `choices`.
    package mutating func pick<Element>(_ choices: [Element]) -> Element {
        choices.randomElement(using: &self)!
    }
}

/// The seed of this run of the seeded random-input tests: MESSAGEBUS_FUZZ_SEED (decimal) when set, to replay a
/// failure or to explore new inputs, otherwise ``SeededRandom/defaultSeed``.
package func fuzzSeed() -> UInt64 {
    let value = IntegrationEnvironment.value(of: "MESSAGEBUS_FUZZ_SEED", default: "")
    return UInt64(value) ?? SeededRandom.defaultSeed
}

/// Lets the other tests of the process run every 100 cases of a CPU-bound loop: a test body runs on one of Swift
/// concurrency's cooperative threads (two on a 2-core machine), and a few seconds of fuzzing on both of them
/// stalled every other suite (receive and connect timeouts in unrelated tests).
package func yieldEvery100(_ index: Int) async {
    if index % 100 == 99 { await Task.yield() }
}
