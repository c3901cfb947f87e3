/// The in-memory backend alone: no library to compare with, a measure of the facade's own cost.
struct MemoryBench {
    let messages: Int
    let settings: BenchSettings

    func run(into table: inout BenchTable) async {
        var publish = ThroughputCase(backend: "memory", name: "publish(contentsOf: 1,000 fresh) repeated")
        var consume = ThroughputCase(backend: "memory", name: "consume for-await + ack() each")
        let workload = BusWorkload(url: "memory://bench", payload: self.settings.payload, timeout: self.settings.timeout)
        for _ in 0..<self.settings.rounds {
            // The consume case reads what the publish case of the same round published.
            let destination = BenchSettings.uniqueName("memory")
            let published = await CaseOutcome.inProcess {
                try await workload.provision(destination: destination, groups: ["bus"])
                return try await workload.publish(destination: destination, count: self.messages, as: .confirmedBatches(1000))
            }
            publish.record(.messageBus, published)
            guard published.result != nil else {
                consume.record(.messageBus, .failed("nothing to consume: the publish case failed"))
                continue
            }
            consume.record(.messageBus, await CaseOutcome.inProcess {
                try await workload.consume(destination: destination, group: "bus", count: self.messages, as: .forAwaitAckEach)
            })
        }
        table.add(publish)
        table.add(consume)
    }
}
