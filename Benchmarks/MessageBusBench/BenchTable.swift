/// The results: one row per case, raw library and MessageBus side by side.
struct BenchTable {
    struct Row {
        var backend: String
        var workload: String
        var messages: Int
        var rawRate: Double?
        var busRate: Double
    }

    private(set) var rows: [Row] = []

    mutating func add(backend: String, workload: String, messages: Int, raw: Duration?, bus: Duration) {
        func rate(_ duration: Duration) -> Double {
            let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
            return seconds > 0 ? Double(messages) / seconds : 0
        }
        self.rows.append(
            Row(backend: backend, workload: workload, messages: messages, rawRate: raw.map(rate), busRate: rate(bus)))
    }

    func rendered() -> String {
        var lines = [
            "backend   workload                                      messages   raw C msg/s   MessageBus msg/s   ratio",
            String(repeating: "-", count: 107),
        ]
        for row in self.rows {
            let raw = row.rawRate.map { String(format: "%11.0f", $0) } ?? "          -"
            let ratio = row.rawRate.map { String(format: "%6.1f%%", 100 * row.busRate / $0) } ?? "      -"
            lines.append(
                row.backend.padding(toLength: 10, withPad: " ", startingAt: 0)
                    + row.workload.padding(toLength: 46, withPad: " ", startingAt: 0)
                    + String(format: "%8d   %@   %16.0f   %@", row.messages, raw, row.busRate, ratio))
        }
        return lines.joined(separator: "\n")
    }
}

import Foundation
