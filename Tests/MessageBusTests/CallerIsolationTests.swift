import Logging
import MessageBus
import Synchronization
import Testing

/// The consume loop users write, `for try await delivery in subscription { try await delivery.ack() }`, must not
/// hop executors per delivery: a hop from an actor to the global pool and back costs two thread wake-ups. The
/// backend's source and settler therefore run on the caller's actor, which these doubles record.
@Suite("Caller isolation")
struct CallerIsolationTests {
    /// Records the isolation each call ran with.
    private final class Recorder: Sendable {
        let isolations = Mutex<[String]>([])

        func record(_ isolation: (any Actor)?) {
            let name = isolation.map { $0 === MainActor.shared ? "main" : "\(type(of: $0))" } ?? "none"
            self.isolations.withLock { $0.append(name) }
        }
    }

    private final class RecordingSource: DeliverySource {
        let recorder: Recorder
        let batches = Mutex<[[Delivery]]>([])

        init(recorder: Recorder) { self.recorder = recorder }

        func receive(max: Int, timeout: Duration?) async throws -> [Delivery]? {
            self.recorder.record(#isolation)
            return self.batches.withLock { $0.isEmpty ? nil : $0.removeFirst() }
        }

        var unsettledCount: Int { 0 }
        func cancel() async {}
    }

    private final class RecordingSettler: DeliverySettler {
        let recorder: Recorder

        init(recorder: Recorder) { self.recorder = recorder }

        func settle(_ deliveries: [Delivery], as outcome: DeliveryOutcome) async throws {
            self.recorder.record(#isolation)
        }
    }

    @MainActor
    @Test("for-await and ack() on the main actor receive and settle on the main actor")
    func mainActorLoopStaysOnTheMainActor() async throws {
        let recorder = Recorder()
        let source = RecordingSource(recorder: recorder)
        let context = SubscriptionContext(
            backend: "test", destination: "orders", group: "g", options: SubscriptionOptions(),
            configuration: MessageBusConfiguration(), settler: RecordingSettler(recorder: recorder),
            logger: Logger(label: "test"))
        source.batches.withLock {
            $0 = [
                (1...3).map { Delivery(message: Message(text: "\($0)"), attempt: 1, tag: UInt64($0), context: context) }
            ]
        }
        var received = 0
        for try await delivery in Subscription(source: source, context: context) {
            try await delivery.ack()
            received += 1
        }
        #expect(received == 3)
        let isolations = recorder.isolations.withLock { $0 }
        // Two receives (the batch, then the end) and three settlements.
        #expect(isolations == ["main", "main", "main", "main", "main"])
    }
}
