import Foundation

/// Everything one run measured, printed as a throughput table, a latency table, notes and the targets.
struct BenchTable {
    private(set) var cases: [ThroughputCase] = []
    private(set) var latencies: [LatencyCase] = []
    private(set) var notes: [String] = []

    mutating func add(_ throughput: ThroughputCase) {
        self.cases.append(throughput)
    }

    mutating func add(_ latency: LatencyCase) {
        self.latencies.append(latency)
    }

    mutating func note(_ text: String) {
        Self.appendOnce(&self.notes, text)
    }

    func rendered() -> String {
        var lines = [
            Self.columns(
                "backend", "case", "messages", "client", "msg/s", "vs raw C", "vs python", "CPU µs/msg", "vcsw/msg",
                "peak RSS MiB"),
            String(repeating: "-", count: 144),
        ]
        var failures: [String] = []
        for throughput in self.cases {
            let raw = throughput.result(.rawC)
            let python = throughput.result(.python)
            for client in BenchClient.allCases {
                guard let outcome = throughput.outcomes[client] else { continue }
                let label = [throughput.backend, throughput.name, client.rawValue]
                switch outcome {
                case .measured(let result):
                    lines.append(
                        Self.columns(
                            throughput.backend, throughput.name, String(result.messages), client.rawValue,
                            String(format: "%.0f", result.rate), Self.ratio(result.rate, raw?.rate),
                            client == .messageBus ? Self.ratio(result.rate, python?.rate) : "",
                            String(format: "%.2f", result.cpuMicrosecondsPerMessage),
                            String(format: "%.3f", result.voluntarySwitchesPerMessage),
                            result.peakRSSBytes.map { String(format: "%.1f", Double($0) / 1_048_576) } ?? "-"))
                case .failed(let reason):
                    lines.append(Self.columns(throughput.backend, throughput.name, "-", client.rawValue, "ERROR"))
                    Self.appendOnce(&failures, "\(label.joined(separator: " / ")): \(reason)")
                case .skipped(let reason):
                    lines.append(Self.columns(throughput.backend, throughput.name, "-", client.rawValue, "skipped"))
                    Self.appendOnce(&failures, "\(client.rawValue) rows skipped: \(reason)")
                }
            }
        }
        if !self.latencies.isEmpty {
            lines += ["", Self.latencyColumns("backend", "latency case", "client", "messages", "p50 µs", "p99 µs", "max µs")]
            lines.append(String(repeating: "-", count: 114))
            for latency in self.latencies {
                for client in BenchClient.allCases {
                    switch latency.outcomes[client] {
                    case .success(let result):
                        lines.append(
                            Self.latencyColumns(
                                latency.backend, latency.name, client.rawValue, String(result.count),
                                String(format: "%.0f", result.p50), String(format: "%.0f", result.p99),
                                String(format: "%.0f", result.max)))
                    case .failure(let error):
                        lines.append(Self.latencyColumns(latency.backend, latency.name, client.rawValue, "-", "ERROR"))
                        Self.appendOnce(&failures, "\(latency.backend) / \(latency.name) / \(client.rawValue): \(error)")
                    case nil:
                        continue
                    }
                }
            }
        }
        if !self.notes.isEmpty { lines += ["", "Notes:"] + self.notes.map { "  - \($0)" } }
        if !failures.isEmpty { lines += ["", "Errors and skips:"] + failures.map { "  - \($0)" } }
        return lines.joined(separator: "\n")
    }

    private static func appendOnce(_ list: inout [String], _ text: String) {
        if !list.contains(text) { list.append(text) }
    }

    /// `value / baseline` as `0.87x`, or blank without a baseline.
    static func ratio(_ value: Double, _ baseline: Double?) -> String {
        guard let baseline, baseline > 0 else { return "" }
        return String(format: "%.2fx", value / baseline)
    }

    private static func columns(_ values: String...) -> String {
        Self.aligned(values, widths: [9, 46, 8, 10, 10, 9, 10, 11, 9, 12], text: [0, 1, 3])
    }

    private static func latencyColumns(_ values: String...) -> String {
        Self.aligned(values, widths: [9, 50, 10, 9, 10, 10, 10], text: [0, 1, 2])
    }

    /// Columns padded to `widths`: the `text` ones on the right, numbers on the left.
    static func aligned(_ values: [String], widths: [Int], text: Set<Int>) -> String {
        zip(values, widths).enumerated().map { index, pair in
            let (value, width) = pair
            let padding = String(repeating: " ", count: max(0, width - value.count))
            return text.contains(index) ? value + padding : padding + value
        }.joined(separator: " ")
    }
}
