import Foundation
import Synchronization

/// Samples this process's resident set once a second on a thread of its own (a busy consumer must not delay it).
final class RSSSampler: Sendable {
    private let samples = Mutex<[(elapsed: Duration, bytes: Int)]>([])
    private let running = Atomic<Bool>(true)

    init(interval: Duration = .seconds(1)) {
        let start = ContinuousClock.now
        let thread = Thread { [self] in
            while self.running.load(ordering: .acquiring) {
                if let bytes = ProcessMemory.residentBytes() {
                    self.samples.withLock { $0.append((ContinuousClock.now - start, bytes)) }
                }
                Thread.sleep(forTimeInterval: interval.seconds)
            }
        }
        thread.name = "rss-sampler"
        thread.start()
    }

    /// Stops sampling (a second call does nothing more) and returns the samples.
    func stop() -> [(elapsed: Duration, bytes: Int)] {
        self.running.store(false, ordering: .releasing)
        return self.samples.withLock { $0 }
    }
}
