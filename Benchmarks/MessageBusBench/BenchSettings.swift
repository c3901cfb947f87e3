import Foundation

/// What every broker's cases share.
struct BenchSettings: Sendable {
    var payload: [UInt8]
    var rounds: Int
    /// How long a consumer may wait for its messages before its row fails.
    var timeout: Duration
    var python: PythonClient
    /// How many messages pika publishes one by one with confirms (it is slow, so fewer).
    var pythonPublishMessages: Int
    /// The latency cases' schedule; `nil` skips them.
    var latency: LatencySchedule?
    /// Texts a case's name must contain one of to run (every case runs when empty): for profiling one case.
    var cases: [String] = []

    /// Whether the case named `name` runs.
    func includes(_ name: String) -> Bool {
        self.cases.isEmpty || self.cases.contains { name.contains($0) }
    }

    /// A destination name no earlier case or run used: each case gets its own topic, exchange and queues.
    static func uniqueName(_ prefix: String) -> String {
        "bench.\(prefix).\(UUID().uuidString.prefix(8).lowercased())"
    }
}
