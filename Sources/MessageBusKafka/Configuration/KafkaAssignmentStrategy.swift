/// How a consumer group spreads partitions over its members (librdkafka `partition.assignment.strategy`).
public enum KafkaAssignmentStrategy: String, Sendable, Hashable {
    /// Eager range assignment, falling back to round-robin (`range,roundrobin`, librdkafka's default): every
    /// rebalance revokes all partitions first.
    case eager = "range,roundrobin"
    /// Incremental cooperative rebalancing (`cooperative-sticky`): only the partitions that move are revoked.
    case cooperativeSticky = "cooperative-sticky"
}
