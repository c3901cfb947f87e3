/// How a MessageBus subscriber group becomes a Kafka consumer group id (`group.id`).
public enum KafkaGroupNaming: Sendable, Hashable {
    /// `<prefix><destination>.<group>`: a group is scoped to its destination, as on every MessageBus backend
    /// (the same group name on two destinations is two independent groups, like RabbitMQ's `<destination>.<group>`
    /// queues). The default, with an empty prefix.
    case scopedByDestination(prefix: String)
    /// `<prefix><group>`: the group id is the name given, for sharing a group with other Kafka clients. Members
    /// subscribing to different destinations then share one group (and its rebalances).
    case verbatim(prefix: String)

    /// The Kafka group id for `group` subscribing to `destination`.
    public func groupID(group: String, destination: String) -> String {
        switch self {
        case .scopedByDestination(let prefix): "\(prefix)\(destination).\(group)"
        case .verbatim(let prefix): "\(prefix)\(group)"
        }
    }
}
