import Foundation

/// Writes conformance results where `make test` collects them for its per-backend summary line.
///
/// When the environment variable `MESSAGEBUS_CONFORMANCE_REPORT` names a folder, each result is appended to
/// `<folder>/<backend>.tsv` as `case<TAB>result`; otherwise nothing is written.
public enum ConformanceReport {
    /// Appends one result for `backend`.
    public static func record(backend: String, testCase: ConformanceCase, result: ConformanceResult) {
        guard let folder = ProcessInfo.processInfo.environment["MESSAGEBUS_CONFORMANCE_REPORT"], !folder.isEmpty else {
            return
        }
        let status: String
        switch result {
        case .passed: status = "passed"
        case .failed: status = "failed"
        case .unsupported: status = "unsupported"
        }
        let detail = result.description.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\t", with: " ")
        let line = "\(testCase.name)\t\(status)\t\(detail)\n"
        let url = URL(fileURLWithPath: folder).appendingPathComponent("\(backend).tsv")
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // O_APPEND writes of one short line are atomic, so parallel test cases never interleave their lines.
        let descriptor = open(url.path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        _ = line.utf8CString.withUnsafeBufferPointer { write(descriptor, $0.baseAddress, $0.count - 1) }
    }
}
