/// Who did the work in a row: the library under test or one of its baselines.
enum BenchClient: String, Sendable, CaseIterable {
    case rawC = "raw C"
    case messageBus = "MessageBus"
    case python = "python"
}
