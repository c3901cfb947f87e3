import MessageBus

/// Where a subscription's redeliveries go (``MessageBus/DeliveryOutcome/requeue`` and
/// ``MessageBus/DeliveryOutcome/retry(after:)``): a retry record for the subscription's consumer group alone.
///
/// A group subscription has a retry topic of its own, `<destination>.<group>.retry`, which its consumer reads
/// besides its topics: no other group sees the record, and the record's partition (by key) is held back only
/// until it is due, without holding up the group's topics. A broadcast subscription (a group of its own that
/// lives as long as it does) gets no topic of its own: its retry record goes back to the topic it came from,
/// marked for its group, and every other group skips it.
struct KafkaRetryRoute: Sendable {
    /// The consumer group the records are for.
    let groupID: String
    /// The group's retry topic; `nil` for a broadcast subscription, whose records go back to their own topic.
    let topic: String?

    /// The retry topic of `group` reading `label` (a topic, a comma-separated topic list or a pattern):
    /// `<topic>.<group>.retry` for one topic, shortened with a hash when longer than a destination may be;
    /// `<group>.retry-<hash of label>` for a topic list or pattern, whose label is no valid name.
    static func topic(label: String, group: String) -> String {
        let readable = "\(label).\(group).retry"
        if (try? DestinationName.validate(readable)) != nil { return readable }
        if (try? DestinationName.validate(label)) != nil { return DestinationName.fitting(readable, maxLength: 200) }
        // A list or pattern: named by the group, made distinct per label by a hash of both.
        return "\(group.prefix(200 - 24)).retry-\(DestinationName.stableHash("\(label)\u{1F}\(group)"))"
    }
}
