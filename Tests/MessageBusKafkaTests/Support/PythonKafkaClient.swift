import MessageBusIntegrationSupport
import Foundation

/// Runs confluent-kafka (Python, from the bootstrap's virtual environment at .state/venv) as an independent Kafka
/// client, to check that what MessageBus writes is what another client reads, and the reverse.
enum PythonKafkaClient {
    /// The virtual environment's Python, found from this file's location (Tests/MessageBusKafkaTests/Support).
    static var python: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".state/venv/bin/python")
    }

    /// Runs `script` with `arguments`, returning its standard output; throws with its standard error on failure.
    static func run(_ script: String, arguments: [String]) async throws -> String {
        let python = self.python
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw RDKafkaClientError("\(python.path) is missing: run scripts/bootstrap.sh (it installs confluent-kafka)")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("python-kafka-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outputURL = directory.appendingPathComponent("stdout")
        let errorURL = directory.appendingPathComponent("stderr")
        let process = try SpawnedProcess(
            python.path, ["-c", script] + arguments, output: outputURL.path, errors: errorURL.path)
        let status = try await process.waitForExit(limit: .seconds(120))
        guard status == 0 else {
            let errors = (try? String(contentsOf: errorURL, encoding: .utf8)) ?? ""
            throw RDKafkaClientError("confluent-kafka script failed (\(status)): \(errors)")
        }
        return try String(contentsOf: outputURL, encoding: .utf8)
    }

    /// Consumes `count` records of `topic` from the beginning and prints each as one JSON line: key, value and
    /// headers (values hex-encoded, so any bytes survive).
    static let consumeScript = """
        import json, sys
        from confluent_kafka import Consumer
        brokers, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
        c = Consumer({"bootstrap.servers": brokers, "group.id": "interop-" + topic, "auto.offset.reset": "earliest",
                      "session.timeout.ms": 6000, "heartbeat.interval.ms": 500, "fetch.wait.max.ms": 10})
        c.subscribe([topic])
        seen = 0
        import time
        deadline = time.time() + 30
        while seen < count and time.time() < deadline:
            m = c.poll(0.5)
            if m is None or m.error():
                continue
            print(json.dumps({"key": (m.key() or b"").hex(), "value": (m.value() or b"").hex(),
                              "headers": [[n, (v or b"").hex()] for n, v in (m.headers() or [])]}))
            seen += 1
        c.close()
        """

    /// Produces one record (key, value, headers from hex arguments) and waits for its delivery.
    static let produceScript = """
        import sys
        from confluent_kafka import Producer
        brokers, topic, key, value = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3]), bytes.fromhex(sys.argv[4])
        headers = [(sys.argv[i], bytes.fromhex(sys.argv[i + 1])) for i in range(5, len(sys.argv), 2)]
        p = Producer({"bootstrap.servers": brokers})
        p.produce(topic, value=value, key=key, headers=headers)
        if p.flush(20) != 0:
            sys.exit("not delivered")
        """
}

extension [UInt8] {
    /// Lowercase hex, as Python's `bytes.hex()` writes it.
    var hex: String { self.map { String(format: "%02x", $0) }.joined() }

    /// The bytes of a hex string.
    init(hex: String) {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) {
            bytes.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        self = bytes
    }
}
