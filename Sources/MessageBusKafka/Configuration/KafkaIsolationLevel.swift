/// Which records of transactional producers a consumer sees (librdkafka `isolation.level`).
public enum KafkaIsolationLevel: String, Sendable, Hashable {
    /// Only records of committed transactions (and non-transactional records): `read_committed`, the default.
    case readCommitted = "read_committed"
    /// Every record, including those of open and aborted transactions: `read_uncommitted`.
    case readUncommitted = "read_uncommitted"
}
