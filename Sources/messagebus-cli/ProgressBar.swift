import ArgumentParser
import Foundation
import Synchronization

/// When a long-running command draws its progress bar on standard error.
enum ProgressMode: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// When standard error is a terminal.
    case auto
    /// Always (also into a file or pipe: each redraw starts with a carriage return).
    case always
    /// Never.
    case never

    /// Whether a bar is drawn under this mode.
    var isEnabled: Bool {
        switch self {
        case .auto: isatty(STDERR_FILENO) == 1
        case .always: true
        case .never: false
        }
    }
}

/// A one-line progress bar on standard error: `[#####.....]  45%  4500/10000  1234 msg/s  3.6 s`.
///
/// Redrawn at most ten times a second; the writes go through a serial dispatch queue, so a slow terminal never
/// holds up the caller's task.
final class ProgressBar: Sendable {
    private let total: Int
    private let label: String
    private let start = ContinuousClock.now
    private let lastDraw = Mutex<ContinuousClock.Instant?>(nil)
    private let output = DispatchQueue(label: "messagebus-cli.progress")
    private static let width = 30

    /// A bar for `total` units of work, with `label` after the counts (for example `msg/s`).
    init(total: Int, label: String) {
        self.total = max(1, total)
        self.label = label
    }

    /// Redraws the bar for `done` units, unless it was drawn less than 100 ms ago.
    func update(done: Int) {
        let now = ContinuousClock.now
        let due = self.lastDraw.withLock { last in
            guard last.map({ now - $0 >= .milliseconds(100) }) ?? true else { return false }
            last = now
            return true
        }
        if due { self.draw(done: done, at: now) }
    }

    /// Draws the final state and ends the line, and returns once it is written.
    func finish(done: Int) async {
        self.draw(done: done, at: .now)
        await withCheckedContinuation { continuation in
            self.output.async {
                FileHandle.standardError.write(Data("\n".utf8))
                continuation.resume()
            }
        }
    }

    private func draw(done: Int, at now: ContinuousClock.Instant) {
        let fraction = min(1, Double(done) / Double(self.total))
        let filled = Int(fraction * Double(Self.width))
        let elapsed = Self.seconds(now - self.start)
        let rate = elapsed > 0 ? Int(Double(done) / elapsed) : 0
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: Self.width - filled)
        let line = "\r[\(bar)] \(Int(fraction * 100))%  \(done)/\(self.total)  \(rate) \(self.label)  "
            + String(format: "%.1f s", elapsed) + "\u{1B}[K"
        self.output.async { FileHandle.standardError.write(Data(line.utf8)) }
    }

    /// A duration in seconds.
    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
