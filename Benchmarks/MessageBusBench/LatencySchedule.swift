import Foundation

/// A latency publisher's schedule: warm-up messages every 50 ms until the consumer is ready, then `messages`
/// stamped messages at a fixed `rate`, each due at its own instant from the start (no drift when one is late).
struct LatencySchedule: Sendable {
    let messages: Int
    let rate: Int

    /// Runs the schedule on a blocking thread; `idle` must return at (or soon after) the instant it is given,
    /// doing the client's background work (delivery reports, confirms) meanwhile.
    func run(ready: ReadySignal, send: (UInt64) throws -> Void, idle: (ContinuousClock.Instant) throws -> Void) throws {
        var pacer = Pacer(self, ready: ready)
        while let next = try pacer.next() {
            try idle(next.due)
            try send(next.timed ? LatencyStamp.now() : LatencyStamp.warmUp)
        }
    }

    /// Runs the schedule in a task, sleeping between sends.
    func run(ready: ReadySignal, send: (UInt64) async throws -> Void) async throws {
        var pacer = Pacer(self, ready: ready)
        while let next = try pacer.next() {
            try await Task.sleep(until: next.due, clock: .continuous)
            try await send(next.timed ? LatencyStamp.now() : LatencyStamp.warmUp)
        }
    }

    /// Sleeps the calling thread until `instant`.
    static func sleep(until instant: ContinuousClock.Instant) {
        let remaining = instant - .now
        if remaining > .zero { Thread.sleep(forTimeInterval: remaining.seconds) }
    }

    /// When each message of the schedule is due, and whether it is a timed one or a warm-up.
    private struct Pacer {
        private static let warmUpInterval = Duration.milliseconds(50)
        private static let warmUpLimit = Duration.seconds(60)

        private let schedule: LatencySchedule
        private let ready: ReadySignal
        private let warmUpDeadline = ContinuousClock.now + Self.warmUpLimit
        private var nextWarmUp = ContinuousClock.now
        private var start: ContinuousClock.Instant?
        private var sent = 0

        init(_ schedule: LatencySchedule, ready: ReadySignal) {
            self.schedule = schedule
            self.ready = ready
        }

        /// The next message, or `nil` once the schedule is done.
        mutating func next() throws -> (due: ContinuousClock.Instant, timed: Bool)? {
            if self.start == nil {
                guard self.ready.isSet else {
                    guard ContinuousClock.now < self.warmUpDeadline else {
                        throw BenchError("the latency consumer received no warm-up message within \(Self.warmUpLimit)")
                    }
                    defer { self.nextWarmUp = max(self.nextWarmUp, .now) + Self.warmUpInterval }
                    return (self.nextWarmUp, false)
                }
                self.start = .now
            }
            guard let start, self.sent < self.schedule.messages else { return nil }
            defer { self.sent += 1 }
            return (start + .seconds(1) / self.schedule.rate * self.sent, true)
        }
    }
}

extension LatencySchedule {
    /// Runs a raw baseline's latency run: `consume` on one thread records into the samples (which mark the
    /// consumer ready), `publish` on another follows this schedule; returns the samples once both are done.
    func measureOnThreads(
        _ name: String, consume: @escaping @Sendable (inout LatencySamples) throws -> Void,
        publish: @escaping @Sendable (ReadySignal) throws -> Void
    ) async throws -> LatencyResult {
        let ready = ReadySignal()
        async let samples = onDedicatedThread("\(name)-latency-consumer") { [messages] in
            var samples = LatencySamples(expected: messages, ready: ready)
            try consume(&samples)
            return samples.values
        }
        try await onDedicatedThread("\(name)-latency-publisher") { try publish(ready) }
        return LatencyResult(samples: try await samples)
    }
}
