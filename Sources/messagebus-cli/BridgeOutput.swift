import Foundation
import MessageBridge
import Synchronization

/// What `messagebus bridge` prints: a progress line rewritten in place on a terminal, or one JSON object per line
/// (progress every second, then the report) for scripts and logs.
final class BridgeOutput: Sendable {
    private let asJSONLines: Bool
    private let lastLineWidth = Mutex(0)

    init(asJSONLines: Bool) {
        self.asJSONLines = asJSONLines
    }

    func started(from: String, to: String, destination: String) {
        if self.asJSONLines {
            self.printJSON(["event": "started", "from": from, "to": to, "destination": destination])
        } else {
            print("bridging '\(destination)' from \(from) to \(to)")
        }
    }

    func progress(_ progress: MessageBridgeProgress) {
        if self.asJSONLines {
            var fields = Self.figures(progress)
            fields["event"] = "progress"
            self.printJSON(fields)
            return
        }
        let lag = progress.sourceLag.map { String($0) } ?? "?"
        let line = String(
            format: "%@ s  copied %d  %.0f msg/s  lag %@  duplicates skipped %d  dead letters %d  in flight %d",
            Self.seconds(progress.elapsed), progress.copied, progress.messagesPerSecond, lag,
            progress.duplicatesSkipped, progress.deadLettersMoved, progress.inFlight)
        let padding = self.lastLineWidth.withLock { width in
            defer { width = line.count }
            return String(repeating: " ", count: max(0, width - line.count))
        }
        FileHandle.standardOutput.write(Data("\r\(line)\(padding)".utf8))
    }

    func report(_ report: MessageBridgeReport) {
        if self.asJSONLines {
            var fields = Self.figures(report.final)
            fields["event"] = "report"
            fields["stopReason"] = report.stopReason == .cutOver ? "cut-over" : "stopped"
            self.printJSON(fields)
            return
        }
        let reason = report.stopReason == .cutOver ? "cut-over: the source was idle" : "stopped"
        print("\n\(reason) after \(Self.seconds(report.elapsed)) s")
        print("copied              \(report.copied)")
        print("duplicates skipped  \(report.duplicatesSkipped)")
        print("dead letters moved  \(report.deadLettersMoved)")
        print(String(format: "average rate        %.0f msg/s", report.final.messagesPerSecond))
        print("source lag          \(report.final.sourceLag.map { String($0) } ?? "unknown")")
        for range in report.positions { print("positions           \(range)") }
    }

    private static func figures(_ progress: MessageBridgeProgress) -> [String: Any] {
        var fields: [String: Any] = [
            "elapsedSeconds": (Self.seconds(progress.elapsed) as NSString).doubleValue,
            "copied": progress.copied,
            "duplicatesSkipped": progress.duplicatesSkipped,
            "deadLettersMoved": progress.deadLettersMoved,
            "inFlight": progress.inFlight,
            "messagesPerSecond": (progress.messagesPerSecond * 10).rounded() / 10,
            "positions": progress.positions.map { range -> [String: Any] in
                var position: [String: Any] = [
                    "destination": range.destination, "unit": range.unit.rawValue, "first": range.first,
                    "last": range.last,
                ]
                if let partition = range.partition { position["partition"] = Int(partition) }
                return position
            },
        ]
        if let lag = progress.sourceLag { fields["sourceLag"] = lag }
        return fields
    }

    private static func seconds(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        return String(format: "%.1f", Double(milliseconds) / 1000)
    }

    private func printJSON(_ fields: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }
}
