import Foundation

/// One scenario's result: a row of the chaos table.
struct ChaosRow: Sendable {
    var scenario: String
    var published: Int
    var confirmed: Int
    /// Distinct messages consumed.
    var consumed: Int
    /// Deliveries beyond the first of each message.
    var duplicates: Int
    /// Confirmed messages never consumed: must be 0.
    var lost: Int
    /// From the fault's end until publishing and consuming both worked again; `nil` where no fault ended.
    var recovery: Duration?
    var notes: [String]
    /// Why the scenario failed besides losing messages (a leak, a growing RSS, an error), or `nil`.
    var failure: String?

    /// A row for a scenario that could not run to its end.
    static func failed(_ scenario: String, _ error: any Error) -> ChaosRow {
        ChaosRow(
            scenario: scenario, published: 0, confirmed: 0, consumed: 0, duplicates: 0, lost: 0, recovery: nil,
            notes: [], failure: "\(error)")
    }

    var passed: Bool { self.lost == 0 && self.failure == nil }
}

/// Prints the chaos table.
enum ChaosTable {
    static func render(_ rows: [ChaosRow]) -> String {
        let header = ["scenario", "published", "confirmed", "consumed", "duplicates", "lost", "recovery", "result"]
        let cells = rows.map { row in
            [
                row.scenario, "\(row.published)", "\(row.confirmed)", "\(row.consumed)", "\(row.duplicates)",
                "\(row.lost)", row.recovery.map(Self.seconds) ?? "-", row.passed ? "ok" : "FAILED",
            ]
        }
        let widths = header.indices.map { column in
            ([header[column]] + cells.map { $0[column] }).map(\.count).max() ?? 0
        }
        func line(_ values: [String]) -> String {
            values.enumerated().map { column, value in
                column == 0
                    ? value.padding(toLength: widths[column], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[column] - value.count) + value
            }.joined(separator: "  ")
        }
        var text = line(header) + "\n" + line(widths.map { String(repeating: "-", count: $0) }) + "\n"
        for (row, values) in zip(rows, cells) {
            text += line(values) + "\n"
            for note in row.notes { text += "    \(note)\n" }
            if let failure = row.failure { text += "    FAILED: \(failure)\n" }
        }
        return text
    }

    static func milliseconds(_ duration: Duration) -> String {
        String(format: "%.1f ms", duration / .milliseconds(1))
    }

    static func seconds(_ duration: Duration) -> String {
        String(format: "%.2f s", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }
}
