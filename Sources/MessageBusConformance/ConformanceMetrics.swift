import CoreMetrics
import Synchronization

/// A metrics factory that sums what every counter reports and keeps the last value of every gauge, by label and
/// dimensions, for the case that checks that every backend emits the same metrics. Other metric kinds are accepted
/// and dropped.
final class ConformanceMetrics: MetricsFactory, Sendable {
    private let totals = Mutex<[String: Int64]>([:])
    private let gauges = Mutex<[String: Double]>([:])

    /// The total of the counter `label` with exactly `dimensions` (in any order).
    func total(_ label: String, _ dimensions: [(String, String)]) -> Int64 {
        self.totals.withLock { $0[Self.key(label, dimensions)] ?? 0 }
    }

    /// The last value of the gauge `label` with exactly `dimensions`; `nil` when it never reported.
    func last(_ label: String, _ dimensions: [(String, String)]) -> Double? {
        self.gauges.withLock { $0[Self.key(label, dimensions)] }
    }

    private static func key(_ label: String, _ dimensions: [(String, String)]) -> String {
        ([label] + dimensions.map { "\($0.0)=\($0.1)" }.sorted()).joined(separator: "|")
    }

    /// One metric of the factory: a counter sums into the totals, a gauge keeps its last value.
    private final class Handler: CounterHandler, RecorderHandler, Sendable {
        let key: String
        let metrics: ConformanceMetrics

        init(key: String, metrics: ConformanceMetrics) {
            self.key = key
            self.metrics = metrics
        }

        func increment(by amount: Int64) {
            self.metrics.totals.withLock { $0[self.key, default: 0] += amount }
        }

        func reset() {
            self.metrics.totals.withLock { $0[self.key] = 0 }
        }

        func record(_ value: Int64) {
            self.record(Double(value))
        }

        func record(_ value: Double) {
            self.metrics.gauges.withLock { $0[self.key] = value }
        }
    }

    private final class Dropping: FloatingPointCounterHandler, RecorderHandler, TimerHandler, Sendable {
        func increment(by amount: Double) {}
        func reset() {}
        func record(_ value: Int64) {}
        func record(_ value: Double) {}
        func recordNanoseconds(_ duration: Int64) {}
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        Handler(key: Self.key(label, dimensions), metrics: self)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        Dropping()
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        // A gauge is a recorder that does not aggregate.
        aggregate ? Dropping() : Handler(key: Self.key(label, dimensions), metrics: self)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        Dropping()
    }

    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}
}
