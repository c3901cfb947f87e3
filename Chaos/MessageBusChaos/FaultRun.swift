import Foundation
import MessageBus

/// The course every fault scenario takes: a publisher and a consumer under load, the fault, the wait for recovery,
/// then a drain until every confirmed message was consumed (or nothing more arrives).
struct FaultRun {
    var scenario: String
    var warmUp: Duration
    /// How long the load continues after recovery, so that the row shows steady service again.
    var afterRecovery: Duration = .seconds(1)
    var recoveryLimit: Duration = .seconds(90)

    /// Runs the load on `publisher` and `consumer`, calls `fault` after the warm-up (it returns once the fault
    /// has ended, with notes for the row), and closes both buses.
    func run(
        publisher: any MessageBus, consumer: any MessageBus, destination: String,
        fault: () async throws -> [String]
    ) async -> ChaosRow {
        let ledger = DeliveryLedger(prefix: "chaos-\(UUID().uuidString.prefix(8))")
        let load = ChaosLoad(ledger: ledger)
        var notes: [String] = []
        var failure: String?
        var recovery: Duration?
        var phases = PhaseClock()
        do {
            let subscription = try await consumer.subscribe(
                to: destination, group: "chaos", options: SubscriptionOptions(startPosition: .earliest, prefetch: 200))
            phases.lap("subscribe")
            let consuming = load.consume(subscription)
            let publishing = load.publish(on: publisher, to: destination)
            try await Task.sleep(for: self.warmUp)
            do {
                notes += try await fault()
                ledger.faultEnded()
                recovery = await load.awaitRecovery(limit: self.recoveryLimit)
                if recovery == nil { failure = "no recovery within \(self.recoveryLimit)" }
                try await Task.sleep(for: self.afterRecovery)
            } catch {
                failure = "fault: \(error)"
            }
            phases.lap("fault and recovery")
            load.stopPublishing()
            await publishing.value
            phases.lap("publisher stop")
            await load.drain()
            phases.lap("drain")
            load.stopConsuming()
            await consuming.value
            await subscription.cancel()
            phases.lap("subscription cancel")
        } catch {
            failure = "\(error)"
            load.stopPublishing()
            load.stopConsuming()
        }
        for bus in [publisher, consumer] {
            do { try await bus.close(deadline: .seconds(10)) } catch { notes.append("close: \(error)") }
        }
        phases.lap("close")
        notes.append(phases.summary)
        return ledger.row(self.scenario, recovery: recovery, notes: notes, failure: failure)
    }
}
