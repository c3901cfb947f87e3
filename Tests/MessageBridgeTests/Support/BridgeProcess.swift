import Foundation
import MessageBusIntegrationSupport

/// A `messagebus bridge` process started from the executable SwiftPM built next to this test bundle, whose JSON
/// lines can be read while it runs and which can be killed like a crashed process.
final class BridgeProcess: Sendable {
    private let process: SpawnedProcess
    private let directory: URL
    private let outputURL: URL
    private let errorURL: URL

    /// The executable: `$MESSAGEBUS_CLI` when set, else `messagebus` beside the test runner.
    static var executable: URL {
        let override = IntegrationEnvironment.value(of: "MESSAGEBUS_CLI", default: "")
        if !override.isEmpty { return URL(fileURLWithPath: override) }
        let runner = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        return runner.deletingLastPathComponent().appendingPathComponent("messagebus")
    }

    /// Starts `messagebus` with `arguments`, its output going to files.
    init(_ arguments: [String]) throws {
        self.directory = FileManager.default.temporaryDirectory.appendingPathComponent("bridge-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        self.outputURL = self.directory.appendingPathComponent("stdout")
        self.errorURL = self.directory.appendingPathComponent("stderr")
        self.process = try SpawnedProcess(
            Self.executable.path, arguments, output: self.outputURL.path, errors: self.errorURL.path)
    }

    deinit {
        self.process.send(SIGKILL)
        try? FileManager.default.removeItem(at: self.directory)
    }

    /// The JSON objects printed so far, one per complete line.
    var jsonLines: [[String: Any]] {
        let text = (try? String(contentsOf: self.outputURL, encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: true).compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
    }

    /// Standard output and error, for failure messages.
    var transcript: String {
        let output = (try? String(contentsOf: self.outputURL, encoding: .utf8)) ?? ""
        let errors = (try? String(contentsOf: self.errorURL, encoding: .utf8)) ?? ""
        return "stdout:\n\(output)\nstderr:\n\(errors)"
    }

    /// Waits until `condition` holds for the JSON lines printed so far; throws after `limit` or when the process
    /// ended first.
    func waitUntil(limit: Duration, _ condition: ([[String: Any]]) -> Bool) async throws {
        do {
            let awaited = "the bridge's output to meet the condition"
            try await eventually(awaited, timeout: limit, pollEvery: .milliseconds(50)) {
                if condition(self.jsonLines) { return true }
                guard self.process.isRunning else {
                    throw BridgeProcessFailure(description: "the process ended first\n\(self.transcript)")
                }
                return false
            }
        } catch let timedOut as EventuallyTimedOut {
            throw BridgeProcessFailure(description: "\(timedOut)\n\(self.transcript)")
        }
    }

    /// Kills the process with SIGKILL, as a crash or `kill -9` would, and waits for it to end.
    func kill() async throws {
        self.process.send(SIGKILL)
        _ = try await self.exitStatus(limit: .seconds(10))
    }

    /// Waits for the process to end and returns its exit status (128 + n for signal n); stops it and throws after
    /// `limit`.
    func exitStatus(limit: Duration) async throws -> Int32 {
        try await self.process.waitForExit(limit: limit)
    }
}

/// A bridge process that did not do what the test waited for.
struct BridgeProcessFailure: Error, CustomStringConvertible {
    var description: String
}
