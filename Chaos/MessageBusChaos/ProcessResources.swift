import Foundation

/// This process's threads, open file descriptors and resident memory, from `/proc/self` (Linux).
struct ProcessResources: Sendable, CustomStringConvertible {
    var threads: Int
    var descriptors: Int
    /// Resident set size in bytes.
    var residentBytes: Int

    static func current() -> ProcessResources {
        let manager = FileManager.default
        let threads = (try? manager.contentsOfDirectory(atPath: "/proc/self/task").count) ?? -1
        // The listing itself holds one descriptor open while it runs.
        let descriptors = ((try? manager.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0) - 1
        return ProcessResources(threads: threads, descriptors: descriptors, residentBytes: self.residentBytes())
    }

    /// VmRSS from /proc/self/status.
    static func residentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { return -1 }
        return kilobytes * 1024
    }

    var description: String {
        "\(self.threads) threads, \(self.descriptors) fds, RSS \(Self.mebibytes(self.residentBytes))"
    }

    static func mebibytes(_ bytes: Int) -> String {
        String(format: "%.1f MiB", Double(bytes) / 1_048_576)
    }
}
