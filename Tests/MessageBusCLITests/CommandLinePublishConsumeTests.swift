import Foundation
import MessageBusIntegrationSupport
import Testing

/// `messagebus publish` and `consume`, as separate processes, on memory:// and on both brokers.
@Suite("messagebus publish and consume", .timeLimit(.minutes(5)))
struct CommandLinePublishConsumeTests {
    /// Every byte value, in an order that is not valid UTF-8.
    static let binary: [UInt8] = (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 128) }

    @Test("memory://: a paced load publishes every message and prints the summary")
    func pacedLoadOnMemory() async throws {
        let start = ContinuousClock.now
        let result = try await CommandLineTool.run([
            "publish", "--url", "memory://load", "--destination", "load", "--count", "300", "--rate", "600",
            "--progress", "always", "payload",
        ])
        let elapsed = ContinuousClock.now - start
        #expect(result.status == 0, "\(result)")
        #expect(result.text.hasPrefix("sent 300, confirmed 300, elapsed "), "\(result)")
        #expect(result.text.contains("msg/s to 'load' on memory"), "\(result)")
        // 300 messages at 600 a second take at least half a second.
        #expect(elapsed >= .milliseconds(450), "\(elapsed)")
        #expect(result.errors.contains("300/300"), "the progress bar reached the end: \(result)")
    }

    @Test("memory://: consume --count gives up after --timeout, naming what it got")
    func consumeTimesOutOnMemory() async throws {
        let result = try await CommandLineTool.run([
            "consume", "--url", "memory://empty", "--destination", "nothing", "--group", "g", "--count", "2",
            "--timeout", "0.3",
        ])
        #expect(result.status == 1, "\(result)")
        #expect(result.errorLines == [
            "messagebus: error: received 0 of --count 2 messages: none arrived within --timeout 0.3 s"
        ], "\(result)")
    }

    @Test("binary from stdin comes back byte for byte with --format raw", .enabled(if: IntegrationGate.isEnabled),
        arguments: BrokerURLs.all)
    func binaryRoundTrip(url: String) async throws {
        let destination = IntegrationEnvironment.uniqueName("cli-raw")
        try await Self.createGroup("readers", on: destination, url: url)
        let published = try await CommandLineTool.run(
            ["publish", "--url", url, "--destination", destination], input: Self.binary)
        #expect(published.status == 0, "\(published)")
        #expect(published.text.hasPrefix("sent 1, confirmed 1, "), "\(published)")
        let consumed = try await CommandLineTool.run([
            "consume", "--url", url, "--destination", destination, "--group", "readers", "--count", "1",
            "--format", "raw", "--timeout", "30",
        ])
        #expect(consumed.status == 0, "\(consumed)")
        #expect(consumed.output == Self.binary, "got \(consumed.output.count) bytes: \(consumed.errors)")
    }

    @Test("--format json carries id, key, headers and every property", .enabled(if: IntegrationGate.isEnabled),
        arguments: BrokerURLs.all)
    func jsonProperties(url: String) async throws {
        let destination = IntegrationEnvironment.uniqueName("cli-json")
        try await Self.createGroup("readers", on: destination, url: url)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cli-json-\(UUID().uuidString)")
        try Data(Self.binary.prefix(64)).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let published = try await CommandLineTool.run([
            "publish", "--url", url, "--destination", destination, "--file", file.path, "--key", "customer-7",
            "--id", "order-1", "--header", "tenant=acme", "--header", "trace=t-1", "--content-type",
            "application/octet-stream", "--correlation-id", "corr-9",
        ])
        #expect(published.status == 0, "\(published)")
        let textPublished = try await CommandLineTool.run(
            ["publish", "--url", url, "--destination", destination, "--key", "customer-7", "--id", "order-2", "héllo"])
        #expect(textPublished.status == 0, "\(textPublished)")

        let consumed = try await CommandLineTool.run([
            "consume", "--url", url, "--destination", destination, "--group", "readers", "--count", "2",
            "--format", "json", "--timeout", "30",
        ])
        #expect(consumed.status == 0, "\(consumed)")
        let lines = consumed.text.split(separator: "\n")
        try #require(lines.count == 2, "\(consumed)")
        let records = try lines.map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        let first = try #require(records.first { $0["id"] as? String == "order-1" }, "\(consumed)")
        #expect(first["key"] as? String == "customer-7")
        #expect(first["headers"] as? [String: String] == ["tenant": "acme", "trace": "t-1"])
        #expect(first["contentType"] as? String == "application/octet-stream")
        #expect(first["correlationID"] as? String == "corr-9")
        #expect(first["destination"] as? String == destination)
        #expect(first["group"] as? String == "readers")
        #expect(first["attempt"] as? Int == 1)
        #expect(first["timestamp"] is String)
        #expect(first["payloadBase64"] as? Bool == true)
        #expect(first["payload"] as? String == Data(Self.binary.prefix(64)).base64EncodedString())
        if url.hasPrefix("kafka") {
            #expect(first["partition"] is Int && first["offset"] is Int, "\(first)")
        } else {
            #expect(first["deliveryTag"] is Int, "\(first)")
        }
        let second = try #require(records.first { $0["id"] as? String == "order-2" }, "\(consumed)")
        #expect(second["payload"] as? String == "héllo")
        #expect(second["payloadBase64"] as? Bool == false)
        #expect(second["contentType"] as? String == "text/plain; charset=utf-8")
    }

    /// Creates subscriber group `group` on `destination` by consuming briefly (a RabbitMQ group's queue only
    /// receives what is published after it exists).
    static func createGroup(_ group: String, on destination: String, url: String) async throws {
        let result = try await CommandLineTool.run([
            "consume", "--url", url, "--destination", destination, "--group", group, "--timeout", "0.5",
        ])
        #expect(result.status == 0 && result.output.isEmpty, "\(result)")
    }
}
