import Foundation
import MessageBusIntegrationSupport

/// What one run of the `messagebus` executable produced.
struct ToolResult: Sendable, CustomStringConvertible {
    /// The exit status.
    var status: Int32
    /// Standard output, byte for byte.
    var output: [UInt8]
    /// Standard error as text.
    var errors: String

    /// Standard output as UTF-8 text.
    var text: String { String(decoding: self.output, as: UTF8.self) }

    /// Standard error's lines, without empty ones.
    var errorLines: [String] { self.errors.split(whereSeparator: \.isNewline).map(String.init) }

    var description: String { "exit \(self.status)\nstdout: \(self.text)\nstderr: \(self.errors)" }
}

/// Runs the `messagebus` executable SwiftPM built next to this test bundle, as a user would from a shell.
enum CommandLineTool {
    /// The executable: `$MESSAGEBUS_CLI` when set, else `messagebus` in the directory the test bundle was built in
    /// (SwiftPM puts every product of a build there; the test target depends on the executable, so it is built).
    static var executable: URL {
        let override = IntegrationEnvironment.value(of: "MESSAGEBUS_CLI", default: "")
        if !override.isEmpty { return URL(fileURLWithPath: override) }
        #if os(macOS)
        if let bundle = Bundle.allBundles.first(where: { $0.bundlePath.hasSuffix(".xctest") }) {
            return bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("messagebus")
        }
        #endif
        let runner = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        return runner.deletingLastPathComponent().appendingPathComponent("messagebus")
    }

    /// Runs `messagebus arguments...` with `input` on standard input, and returns once it exits.
    ///
    /// Output goes to temporary files rather than pipes, so that a large output never fills a pipe nobody reads.
    /// A run longer than `limit` is terminated and throws.
    static func run(_ arguments: [String], input: [UInt8] = [], limit: Duration = .seconds(120)) async throws
        -> ToolResult
    {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("messagebus-cli-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let inputURL = directory.appendingPathComponent("stdin")
        let outputURL = directory.appendingPathComponent("stdout")
        let errorURL = directory.appendingPathComponent("stderr")
        try Data(input).write(to: inputURL)
        let process = try SpawnedProcess(
            self.executable.path, arguments, input: inputURL.path, output: outputURL.path, errors: errorURL.path)
        let status = try await process.waitForExit(limit: limit)
        return ToolResult(
            status: status, output: Array(try Data(contentsOf: outputURL)),
            errors: try String(contentsOf: errorURL, encoding: .utf8))
    }
}

/// The brokers the integration tests of the tool talk to, as URLs for `--url`.
enum BrokerURLs {
    /// `kafka://` plus `MESSAGEBUS_KAFKA_BROKERS` (default `127.0.0.1:9092`).
    static var kafka: String {
        "kafka://" + IntegrationEnvironment.value(of: "MESSAGEBUS_KAFKA_BROKERS", default: "127.0.0.1:9092")
    }

    /// `MESSAGEBUS_AMQP_URL` (default guest on `127.0.0.1:5672`).
    static var rabbitMQ: String {
        IntegrationEnvironment.value(of: "MESSAGEBUS_AMQP_URL", default: "amqp://guest:guest@127.0.0.1:5672/%2F")
    }

    /// Both brokers.
    static var all: [String] { [self.kafka, self.rabbitMQ] }
}
