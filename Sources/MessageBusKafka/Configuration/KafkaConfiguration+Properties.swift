import MessageBus

extension KafkaConfiguration {
    /// Properties every client of the bus shares: connection, security, then the pass-through properties.
    func commonProperties(clientName: String) -> [(name: String, value: String)] {
        var properties: [(name: String, value: String)] = [
            ("bootstrap.servers", self.bootstrapServers.joined(separator: ",")),
            ("client.id", self.clientID ?? clientName),
            ("message.max.bytes", String(self.messageMaxBytes)),
            // A fetch must hold the largest record plus librdkafka's protocol overhead.
            ("receive.message.max.bytes", String(max(100_000_000, (self.fetchMaxBytes ?? 52_428_800) + 512))),
        ]
        properties += self.security.properties
        return properties
    }

    /// The producer's properties.
    func producerProperties(
        clientName: String, messageTimeout: Duration, transactionalID: String? = nil
    ) -> [(name: String, value: String)] {
        var properties = self.commonProperties(clientName: clientName)
        properties += [
            ("acks", self.acks.rawValue),
            ("enable.idempotence", self.enableIdempotence || transactionalID != nil ? "true" : "false"),
            ("compression.codec", self.compression.rawValue),
            ("linger.ms", String(Self.milliseconds(self.linger))),
            ("message.timeout.ms", String(max(1, Self.milliseconds(messageTimeout)))),
            // Topics are created explicitly (or not at all); a metadata lookup must not create one as a side effect.
            ("allow.auto.create.topics", "false"),
        ]
        if let batchSize { properties.append(("batch.size", String(batchSize))) }
        if let partitioner { properties.append(("partitioner", partitioner)) }
        if let transactionalID { properties.append(("transactional.id", transactionalID)) }
        return properties + self.sortedAdditionalProperties
    }

    /// `max.poll.interval.ms`: ``maxPollInterval``, raised to the session timeout when that is longer (librdkafka
    /// refuses a shorter one), whether the session timeout is ``sessionTimeout`` or a `session.timeout.ms` among the
    /// additional properties.
    var maxPollIntervalMilliseconds: Int {
        let session =
            self.additionalProperties["session.timeout.ms"].flatMap { Int($0) } ?? Self.milliseconds(self.sessionTimeout)
        return max(Self.milliseconds(self.maxPollInterval), session)
    }

    /// A group consumer's properties.
    func consumerProperties(
        clientName: String, groupID: String, start: KafkaStartOffset, isolation: KafkaIsolationLevel? = nil
    ) -> [(name: String, value: String)] {
        var properties = self.commonProperties(clientName: clientName)
        let reset: String
        switch start {
        case .earliest: reset = "earliest"
        default: reset = "latest"
        }
        properties += [
            ("group.id", groupID),
            ("auto.offset.reset", reset),
            // Acknowledged offsets are stored by the backend and committed by librdkafka (periodically, on revoke
            // and on close); nothing is stored just because it was polled.
            ("enable.auto.commit", "true"),
            ("enable.auto.offset.store", "false"),
            ("auto.commit.interval.ms", "1000"),
            ("isolation.level", (isolation ?? self.isolationLevel).rawValue),
            ("partition.assignment.strategy", self.assignmentStrategy.rawValue),
            ("session.timeout.ms", String(Self.milliseconds(self.sessionTimeout))),
            ("heartbeat.interval.ms", String(Self.milliseconds(self.heartbeatInterval))),
            ("max.poll.interval.ms", String(self.maxPollIntervalMilliseconds)),
            ("fetch.wait.max.ms", String(Self.milliseconds(self.fetchWaitMax))),
            ("fetch.min.bytes", String(self.fetchMinBytes)),
            // librdkafka stops fetching for fetch.queue.backoff.ms (1 s by default) once its local queue holds
            // queued.min.messages; a subscription that drains that queue slower than a bare poll loop then
            // stalls for up to a second each time. The prefetch already bounds what Swift holds, so a short
            // backoff costs nothing and keeps the fetcher running.
            ("fetch.queue.backoff.ms", "10"),
        ]
        if let fetchMaxBytes { properties.append(("fetch.max.bytes", String(fetchMaxBytes))) }
        if let maxPartitionFetchBytes { properties.append(("max.partition.fetch.bytes", String(maxPartitionFetchBytes))) }
        return properties + self.sortedAdditionalProperties
    }

    /// The pass-through properties, in a stable order.
    var sortedAdditionalProperties: [(name: String, value: String)] {
        self.additionalProperties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }
}
