import MessageBus
import MessageBusRabbitMQ

/// RabbitMQ: MessageBus (default settings but the group queue type, `queue_type=quorum|classic`) against raw
/// rabbitmq-c and pika, on group queues `<exchange>.<group>` bound with `#` to a topic exchange, as MessageBus
/// declares them. Every case gets exchanges and queues of its own, deleted afterwards.
struct RabbitMQBench {
    let address: AMQPAddress
    let messages: Int
    let queueTypes: [String]
    let settings: BenchSettings

    /// MessageBus's default prefetch, which the raw and pika consumers use too.
    private static let prefetch = RabbitMQMessageBus.defaultPrefetch

    func run(into table: inout BenchTable) async {
        for queueType in self.queueTypes {
            let workload = BusWorkload(
                url: self.address.busURL(queueType: queueType), payload: self.settings.payload, timeout: self.settings.timeout)
            let consumeEach = "\(queueType): consume for-await + ack() each"
            let consumeBatches = "\(queueType): consume receive(max: 100) + ackAll()"
            let publish = "\(queueType): publish(contentsOf: 1,000 fresh)"
            let send = "\(queueType): send(fresh message) each + flush()"
            if self.settings.includes(consumeEach) {
                table.add(await self.consumeCase(workload, consumeEach, .forAwaitAckEach, ackEvery: 1))
            }
            if self.settings.includes(consumeBatches) {
                table.add(await self.consumeCase(workload, consumeBatches, .receiveAckAll(max: 100), ackEvery: 100))
            }
            if self.settings.includes(publish) {
                table.add(
                    await self.publishCase(workload, publish, .confirmedBatches(1000), raw: .batches(1000), python: true))
            }
            if self.settings.includes(send) {
                table.add(
                    await self.publishCase(
                        workload, send, .sendEachThenFlush, raw: .window(RawRabbitMQ.messageBusConfirmWindow), python: false))
            }
            if let schedule = self.settings.latency, self.settings.includes("\(queueType): latency") {
                table.add(await self.latencyCase(workload, queueType, schedule))
            }
        }
        table.note(
            "rabbitmq: persistent messages with a message id and timestamp on every side; consumers use prefetch "
                + "\(Self.prefetch) (MessageBus's default); the raw consumer acks each (ack-each cases) or multiple-acks "
                + "every 100 (receive cases), and so does pika")
        table.note(
            "rabbitmq publish(contentsOf:) vs raw C: the raw publisher also publishes 1,000 then waits for all their "
                + "confirms"
                + (self.settings.python.interpreter == nil
                    ? "" : "; pika publishes \(min(self.messages, self.settings.pythonPublishMessages)) messages one by "
                        + "one with confirm_delivery (its blocking API has no window)"))
        table.note(
            "rabbitmq send + flush vs raw C: the raw publisher keeps up to \(RawRabbitMQ.messageBusConfirmWindow) unconfirmed "
                + "(MessageBus's default confirm window); no python row (pika has no unconfirmed-window publisher)")
    }

    private func consumeCase(
        _ workload: BusWorkload, _ name: String, _ consumption: BusWorkload.Consumption, ackEvery: Int
    ) async -> ThroughputCase {
        var result = ThroughputCase(backend: "rabbitmq", name: name)
        for _ in 0..<self.settings.rounds {
            let exchange = BenchSettings.uniqueName("rabbitmq")
            // A queue per client, each filled with every message; none for python when its rows are skipped.
            let groups = ["raw", "bus"] + (self.settings.python.interpreter == nil ? [] : ["python"])
            await result.round {
                try await workload.provision(destination: exchange, groups: groups)
                _ = try await onDedicatedThread("raw-amqp-fill") { [address, messages, settings] in
                    try RawRabbitMQ(address).publish(
                        exchange: exchange, count: messages, payload: settings.payload,
                        mode: .window(RawRabbitMQ.messageBusConfirmWindow), warmUp: false)
                }
            } cleanup: {
                await self.delete(exchanges: [exchange], queues: groups.map { "\(exchange).\($0)" })
            } measure: { client in
                switch client {
                case .rawC:
                    await CaseOutcome.inProcess {
                        try await onDedicatedThread("raw-amqp-consumer") { [address, messages, settings] in
                            try RawRabbitMQ(address).consume(
                                queue: "\(exchange).raw", count: messages, prefetch: UInt16(Self.prefetch),
                                ackEvery: ackEvery, timeout: settings.timeout)
                        }
                    }
                case .messageBus:
                    await CaseOutcome.inProcess {
                        try await workload.consume(destination: exchange, group: "bus", count: self.messages, as: consumption)
                    }
                case .python:
                    await self.settings.python.run("rabbitmq_client.py", [
                        "consume", "--url", self.address.plainURL, "--queue", "\(exchange).python",
                        "--count", String(self.messages), "--prefetch", String(Self.prefetch),
                        "--ack-every", String(ackEvery), "--timeout", String(self.settings.timeout.components.seconds),
                    ])
                case .rawCReadingID:
                    .notReadingIDs
                }
            }
        }
        return result
    }

    /// Each client publishes to an exchange of its own whose one group queue stores the messages.
    private func publishCase(
        _ workload: BusWorkload, _ name: String, _ publication: BusWorkload.Publication, raw mode: RawRabbitMQ.ConfirmMode,
        python: Bool
    ) async -> ThroughputCase {
        var result = ThroughputCase(backend: "rabbitmq", name: name)
        let clients = python ? BenchClient.standard : [.rawC, .messageBus]
        for _ in 0..<self.settings.rounds {
            let exchanges = Dictionary(uniqueKeysWithValues: clients.map { ($0, BenchSettings.uniqueName("rabbitmq")) })
            await result.round(clients: clients) {
                for exchange in exchanges.values { try await workload.provision(destination: exchange, groups: ["sink"]) }
            } cleanup: {
                await self.delete(exchanges: Array(exchanges.values), queues: exchanges.values.map { "\($0).sink" })
            } measure: { client in
                let exchange = exchanges[client]!
                switch client {
                case .rawC:
                    return await CaseOutcome.inProcess {
                        try await onDedicatedThread("raw-amqp-publisher") { [address, messages, settings] in
                            try RawRabbitMQ(address).publish(exchange: exchange, count: messages, payload: settings.payload, mode: mode)
                        }
                    }
                case .messageBus:
                    return await CaseOutcome.inProcess {
                        try await workload.publish(destination: exchange, count: self.messages, as: publication)
                    }
                case .python:
                    return await self.settings.python.run("rabbitmq_client.py", [
                        "publish", "--url", self.address.plainURL, "--exchange", exchange,
                        "--count", String(min(self.messages, self.settings.pythonPublishMessages)),
                        "--size", String(self.settings.payload.count),
                    ])
                case .rawCReadingID:
                    return .notReadingIDs
                }
            }
        }
        return result
    }

    private func latencyCase(_ workload: BusWorkload, _ queueType: String, _ schedule: LatencySchedule) async -> LatencyCase {
        var result = LatencyCase(
            backend: "rabbitmq", name: "\(queueType): \(schedule.rate)/s for \(schedule.messages / schedule.rate) s, confirms, ack each")
        let raw = BenchSettings.uniqueName("rabbitmq")
        let bus = BenchSettings.uniqueName("rabbitmq")
        do {
            try await workload.provision(destination: raw, groups: ["raw"])
            try await workload.provision(destination: bus, groups: ["bus"])
        } catch {
            for client in [BenchClient.rawC, .messageBus] { result.outcomes[client] = .failure(BenchError("setup: \(error)")) }
            await self.delete(exchanges: [raw, bus], queues: ["\(raw).raw", "\(bus).bus"])
            return result
        }
        await result.record(.rawC) {
            try await RawRabbitMQ.latency(
                self.address, exchange: raw, queue: "\(raw).raw", prefetch: UInt16(Self.prefetch), schedule: schedule,
                size: self.settings.payload.count, timeout: self.settings.timeout)
        }
        await result.record(.messageBus) {
            try await workload.latency(destination: bus, group: "bus", schedule: schedule)
        }
        await self.delete(exchanges: [raw, bus], queues: ["\(raw).raw", "\(bus).bus"])
        return result
    }

    /// The slow-consumer case on the first queue type: a group queue filled by the raw publisher (not timed),
    /// consumed by MessageBus.
    func runSlowConsumer(_ bench: SlowConsumerBench) async {
        let queueType = self.queueTypes.first ?? "quorum"
        let workload = BusWorkload(
            url: self.address.busURL(queueType: queueType), payload: self.settings.payload, timeout: self.settings.timeout)
        let exchange = BenchSettings.uniqueName("rabbitmq")
        do {
            try await workload.provision(destination: exchange, groups: ["bus"])
            _ = try await onDedicatedThread("raw-amqp-fill") { [address, settings] in
                try RawRabbitMQ(address).publish(
                    exchange: exchange, count: bench.messages, payload: settings.payload,
                    mode: .window(RawRabbitMQ.messageBusConfirmWindow), warmUp: false)
            }
            await bench.run(backend: "rabbitmq (\(queueType))", workload: workload, destination: exchange)
        } catch {
            print("slow consumer, rabbitmq: ERROR setup: \(error)")
        }
        await self.delete(exchanges: [exchange], queues: ["\(exchange).bus"])
    }

    /// Deletes a case's queues and exchanges, with the `<exchange>.dlq` dead-letter exchange MessageBus declares
    /// for each: they are durable, and would otherwise pile up run after run. Best effort: a leftover costs disk only.
    private func delete(exchanges: [String], queues: [String]) async {
        _ = try? await onDedicatedThread("raw-amqp-cleanup") { [address] in
            try RawRabbitMQ(address).delete(queues: queues, exchanges: exchanges + exchanges.map { "\($0).dlq" })
        }
    }
}
