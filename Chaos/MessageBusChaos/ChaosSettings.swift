/// The backends the broker scenarios run on.
enum ChaosBackend: String, CaseIterable, CustomStringConvertible {
    case rabbitMQ = "rabbitmq"
    case kafka

    var description: String { self.rawValue }
}

/// Durations and sizes of a run: full (`make chaos`) or short (`--short`, for CI).
struct ChaosSettings {
    var warmUp: Duration
    var slowLink: Duration
    var sustainedLoad: Duration
    var subscriptions: Int
    var kafkaSubscriptions: Int
    var consumerKills: Int
    var killMessages: Int

    static let full = ChaosSettings(
        warmUp: .seconds(3), slowLink: .seconds(20), sustainedLoad: .seconds(120), subscriptions: 1_000,
        kafkaSubscriptions: 50, consumerKills: 3, killMessages: 6_000)
    static let short = ChaosSettings(
        warmUp: .milliseconds(1_500), slowLink: .seconds(5), sustainedLoad: .seconds(15), subscriptions: 1_000,
        kafkaSubscriptions: 5, consumerKills: 1, killMessages: 2_000)
}
