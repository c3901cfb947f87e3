import MessageBusIntegrationSupport
import Foundation
import MessageBus

/// A consumer process SIGKILLed in the middle of its batches and started again, while a publisher in this process
/// keeps publishing: at-least-once means every confirmed message is in the child's record file at the end, some
/// twice (recorded, then killed before the acknowledgement reached the broker).
struct ConsumerKillScenario {
    var backend: ChaosBackend
    var kills: Int
    var messages: Int
    var name: String { "\(self.backend): consumer process SIGKILLed \(self.kills)x mid-batch, restarted" }

    func run(_ environment: ChaosEnvironment) async -> ChaosRow {
        let destination = "chaos.kill.\(UUID().uuidString.prefix(8).lowercased())"
        let record = environment.logPath("kill-\(self.backend)-records")
        try? FileManager.default.removeItem(atPath: record)
        let ledger = DeliveryLedger(prefix: "chaos-\(UUID().uuidString.prefix(8))")
        let load = ChaosLoad(ledger: ledger)
        var child: SpawnedProcess?
        var notes: [String] = []
        var recoveries: [Duration] = []
        var failure: String?
        do {
            let publisher: any MessageBus = switch self.backend {
            case .rabbitMQ: try await environment.rabbitMQBus(port: environment.amqpPort, label: "kill.publisher")
            case .kafka: try await environment.kafkaBus(bootstrap: environment.kafkaBrokers, label: "kill.publisher")
            }
            child = try await self.startChild(environment, destination: destination, record: record)
            let publishing = load.publish(on: publisher, to: destination, batchSize: 10, pause: .milliseconds(5))
            for _ in 0..<self.kills {
                // Kill once the child has been consuming for a while: it is then between batches or inside one.
                let target = Self.lines(record) + 300
                try await Self.waitFor("the child to record \(target) deliveries", limit: .seconds(60)) {
                    Self.lines(record) >= target
                }
                child?.send(SIGKILL)
                let killed = ContinuousClock.now
                _ = await child?.exitStatus(within: .seconds(10))
                let recorded = Self.lines(record)
                child = try await self.startChild(environment, destination: destination, record: record)
                try await Self.waitFor("the restarted child to consume", limit: .seconds(90)) {
                    Self.lines(record) > recorded
                }
                recoveries.append(ContinuousClock.now - killed)
            }
            try await Self.waitFor("\(self.messages) messages to be published", limit: .seconds(120)) {
                ledger.row("", recovery: nil).published >= self.messages
            }
            load.stopPublishing()
            await publishing.value
            try await publisher.close(deadline: .seconds(10))
            // The last child drains what is left.
            try? await Self.waitFor("every confirmed message to be recorded", limit: .seconds(90)) {
                let ids = Self.recordedIDs(record)
                return ledger.isConsumedCompletely(by: Set(ids))
            }
        } catch {
            failure = "\(error)"
            load.stopPublishing()
        }
        if let child {
            child.send(SIGKILL)
            _ = await child.exitStatus(within: .seconds(10))
        }
        ledger.consumed(ids: Self.recordedIDs(record))
        notes.append("restart to first new delivery: " + recoveries.map(ChaosTable.seconds).joined(separator: ", "))
        return ledger.row(self.name, recovery: recoveries.max(), notes: notes, failure: failure)
    }

    private func startChild(_ environment: ChaosEnvironment, destination: String, record: String) async throws -> SpawnedProcess {
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let log = environment.logPath("kill-\(self.backend)-child")
        let before = (try? String(contentsOfFile: log, encoding: .utf8))?.count ?? 0
        let process = try SpawnedProcess(
            executable,
            [
                "child-consume", "--backend", self.backend.rawValue, "--destination", destination, "--group", "chaos",
                "--record", record,
            ],
            output: log, appending: true)
        try await Self.waitFor("the child consumer to subscribe (log: \(log))", limit: .seconds(60)) {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            return text.count > before && text.dropFirst(before).contains("subscribed")
        }
        return process
    }

    static func recordedIDs(_ record: String) -> [String] {
        ((try? String(contentsOfFile: record, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    static func lines(_ record: String) -> Int {
        ((try? Data(contentsOf: URL(fileURLWithPath: record))) ?? Data()).count { $0 == UInt8(ascii: "\n") }
    }

    static func waitFor(_ what: String, limit: Duration, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + limit
        while !condition() {
            guard ContinuousClock.now < deadline else {
                throw SpawnedProcessFailure(description: "gave up waiting for \(what) after \(limit)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}
