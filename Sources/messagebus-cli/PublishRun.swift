import Foundation
import MessageBus

/// What `publish` did: how many messages went out, how many the broker confirmed, and how fast.
struct PublishSummary: Sendable, CustomStringConvertible {
    var sent = 0
    var confirmed = 0
    var elapsed: Duration = .zero
    var destination = ""
    var backend = ""

    /// `sent 1000, confirmed 1000, elapsed 0.42 s, 2381 msg/s to 'orders' on kafka`.
    var description: String {
        let seconds = ProgressBar.seconds(self.elapsed)
        let rate = seconds > 0 ? Int((Double(self.confirmed) / seconds).rounded()) : self.confirmed
        return "sent \(self.sent), confirmed \(self.confirmed), elapsed " + String(format: "%.3f s", seconds)
            + ", \(rate) msg/s to '\(self.destination)' on \(self.backend)"
    }
}

/// A failure part-way through `publish`, with what was sent and confirmed before it.
struct PublishFailure: Error {
    var summary: PublishSummary
    var underlying: any Error
}

/// Publishes `total` messages, at most `rate` a second, in batches handed to the client without waiting
/// (``MessageBus/send(contentsOf:to:)``) and confirmed by a ``MessageBus/flush()`` about once a second and at
/// the end. A single message is published and confirmed at once.
struct PublishRun: Sendable {
    /// How many messages to publish.
    var total: Int
    /// The most messages a second; as fast as the broker confirms when `nil`.
    var rate: Double?
    /// The destination.
    var destination: String
    /// Makes message number `index` (from 0).
    var makeMessage: @Sendable (Int) -> Message

    /// How many messages one `send` hands over: a tenth of a second's worth under a rate, so that pacing is smooth.
    var batchSize: Int {
        guard let rate else { return min(self.total, 1_000) }
        return max(1, min(1_000, Int(rate / 10)))
    }

    /// Publishes, drawing `progress` as it goes.
    ///
    /// - Throws: ``PublishFailure`` with the counts so far and the bus's error.
    func run(on bus: any MessageBus, progress: ProgressBar?) async throws -> PublishSummary {
        let start = ContinuousClock.now
        var summary = PublishSummary(destination: self.destination, backend: bus.backend)
        var lastFlush = start
        do {
            while summary.sent < self.total {
                if let rate {
                    try await Task.sleep(until: start.advanced(by: .seconds(Double(summary.sent) / rate)))
                }
                let count = min(self.batchSize, self.total - summary.sent)
                let batch = (summary.sent..<summary.sent + count).map(self.makeMessage)
                if self.total == 1 {
                    try await bus.publish(contentsOf: batch, to: self.destination)
                } else {
                    try await bus.send(contentsOf: batch, to: self.destination)
                }
                summary.sent += count
                if self.total == 1 || ContinuousClock.now - lastFlush >= .seconds(1) {
                    try await bus.flush()
                    summary.confirmed = summary.sent
                    lastFlush = .now
                }
                progress?.update(done: summary.sent)
            }
            try await bus.flush()
            summary.confirmed = summary.sent
        } catch {
            summary.elapsed = ContinuousClock.now - start
            await progress?.finish(done: summary.sent)
            throw PublishFailure(summary: summary, underlying: error)
        }
        summary.elapsed = ContinuousClock.now - start
        await progress?.finish(done: summary.sent)
        return summary
    }
}
