/// Who did the work in a row: the library under test or one of its baselines.
enum BenchClient: String, Sendable, CaseIterable {
    case rawC = "raw C"
    /// The raw Kafka consumer reading each record's `ce_id` header as well, as MessageBus must for `Message.id`:
    /// librdkafka parses a record's headers into allocated lists on first access, and this row shows what that
    /// costs a raw loop. Measured in the Kafka consume cases only; the targets stay against ``rawC``.
    case rawCReadingID = "raw C + ce_id"
    case messageBus = "MessageBus"
    case python = "python"

    /// The clients of every case: the library, the raw C client and the Python client.
    static let standard: [BenchClient] = [.rawC, .messageBus, .python]
}
