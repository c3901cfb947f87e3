/// How many replicas must have a record before the broker acknowledges it (librdkafka `acks`).
public enum KafkaAcks: String, Sendable, Hashable {
    /// No acknowledgement (`acks=0`): fastest, records may be lost silently. Incompatible with idempotence.
    case none = "0"
    /// The partition leader has it (`acks=1`).
    case leader = "1"
    /// Every in-sync replica has it (`acks=all`, the default and what idempotence requires).
    case all = "all"
}
