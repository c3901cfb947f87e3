import Logging
import MessageBus

/// The in-memory backend alone: no raw library to compare with, a measure of the facade's own cost.
struct MemoryBench {
    let messages: Int
    let payload: [UInt8]

    func run(rounds: Int, into table: inout BenchTable) async throws {
        var publish: [Duration] = []
        var consume: [Duration] = []
        for _ in 0..<rounds {
            let workload = BusWorkload(
                url: "memory://bench", backends: [.inMemory], messages: self.messages, payload: self.payload)
            let (published, consumed) = try await workload.publishThenConsume(destination: "bench.memory.\(publish.count)")
            publish.append(published)
            consume.append(consumed)
        }
        table.add(backend: "memory", workload: "publish (batches of 1,000)", messages: self.messages, raw: nil, bus: best(publish))
        table.add(backend: "memory", workload: "consume + ack (batches of 100)", messages: self.messages, raw: nil, bus: best(consume))
    }
}
