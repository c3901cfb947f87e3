import Foundation

/// Runs the Python baselines (`Benchmarks/python/*.py` with confluent-kafka and pika) as subprocesses and reads
/// the measurement each prints about itself (see `bench_meter.py`): its own CPU time, context switches and peak
/// resident set over the same window as the in-process clients.
struct PythonClient: Sendable {
    /// The interpreter, or `nil` when Python rows are skipped (and why).
    let interpreter: String?
    let skipReason: String
    let scripts: URL
    /// How long a script may run before it is ended and its row fails.
    let timeout: Duration

    /// The repository this file belongs to: the scripts and the bootstrap's venv are found from it, wherever the
    /// benchmark is started from.
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    init(interpreter requested: String?, disabled: Bool, timeout: Duration) {
        let path = requested ?? Self.repository.appendingPathComponent(".state/venv/bin/python").path
        self.scripts = Self.repository.appendingPathComponent("Benchmarks/python")
        self.timeout = timeout
        if disabled {
            (self.interpreter, self.skipReason) = (nil, "--no-python")
        } else if FileManager.default.isExecutableFile(atPath: path) {
            (self.interpreter, self.skipReason) = (path, "")
        } else {
            (self.interpreter, self.skipReason) = (nil, "no Python at \(path) (make bootstrap creates it)")
        }
    }

    /// Runs `script` with `arguments` and returns its measurement, or why there is none.
    func run(_ script: String, _ arguments: [String]) async -> CaseOutcome {
        guard let interpreter else { return .skipped(self.skipReason) }
        do {
            let output = try await self.execute(interpreter, [self.scripts.appendingPathComponent(script).path] + arguments)
            return .measured(try Self.parse(output))
        } catch {
            return .failed("\(error)")
        }
    }

    private func execute(_ interpreter: String, _ arguments: [String]) async throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: interpreter)
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let exited = AsyncStream<Void> { continuation in
            process.terminationHandler = { _ in continuation.finish() }
        }
        try process.run()
        let pid = process.processIdentifier
        let watchdog = Task { [timeout] in
            try? await Task.sleep(for: timeout)
            if !Task.isCancelled { kill(pid, SIGTERM) }
        }
        // Read both pipes to their end before waiting, so a chatty script never blocks on a full pipe.
        async let standardOutput = Self.readToEnd(output)
        async let standardError = Self.readToEnd(errors)
        let (data, errorText) = await (standardOutput, standardError)
        for await _ in exited {}
        watchdog.cancel()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let reason = String(decoding: errorText, as: UTF8.self).split(separator: "\n").last.map(String.init)
            throw BenchError("python \(arguments.first.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "") "
                + "ended with status \(process.terminationStatus): \(reason ?? "no message") (limit \(self.timeout))")
        }
        return data
    }

    private static func readToEnd(_ pipe: Pipe) async -> Data {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: pipe.fileHandleForReading.readDataToEndOfFile()) }
            thread.start()
        }
    }

    private struct Report: Decodable {
        var messages: Int
        var seconds: Double
        var cpu_seconds: Double
        var voluntary_switches: Int
        var peak_rss_kib: Int
    }

    private static func parse(_ output: Data) throws -> CaseResult {
        guard let line = String(decoding: output, as: UTF8.self).split(separator: "\n").last,
            let report = try? JSONDecoder().decode(Report.self, from: Data(line.utf8))
        else { throw BenchError("python printed no result: \(String(decoding: output, as: UTF8.self).prefix(200))") }
        return CaseResult(
            messages: report.messages, elapsed: .nanoseconds(Int64(report.seconds * 1e9)),
            cpu: .nanoseconds(Int64(report.cpu_seconds * 1e9)), voluntarySwitches: report.voluntary_switches,
            peakRSSBytes: report.peak_rss_kib * 1024)
    }
}
