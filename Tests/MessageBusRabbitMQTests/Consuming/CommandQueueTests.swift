#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MessageBus
@testable import MessageBusRabbitMQ
import Synchronization
import Testing

/// The queue between callers and a connection's owner thread, alone: which commands wake a sleeping owner, and how
/// the publish lane holds a fast publisher back.
@Suite("RabbitMQ command queue")
struct CommandQueueTests {
    private func publish(_ count: Int) -> ConnectionCommand {
        .publish(PublishRequest(
            exchange: "orders", messages: (0..<count).map { Message(text: "\($0)") }, deadline: .now + .seconds(30),
            mandatory: false, properties: nil, completion: nil))
    }

    private func settle(_ tag: UInt64) -> ConnectionCommand {
        .settle(SettleRequest(subscriptionID: 1, channelEpoch: 1, amqpTags: [tag], outcome: .ack))
    }

    /// Whether the wake-up pipe holds a signal (then drains it).
    private func wasSignalled(_ wakeup: Wakeup) -> Bool {
        var descriptor = pollfd(fd: wakeup.fileDescriptor, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, 0) > 0
        wakeup.drain()
        return ready
    }

    @Test("a sleeping owner is woken once per sleep; a settlement queued without waking it waits for its turn")
    func wakesOncePerSleep() async throws {
        let wakeup = try Wakeup()
        let queue = CommandQueue(capacity: 10, wakeup: wakeup)
        #expect(queue.prepareToSleep(takesPublishes: true))
        await queue.submit(self.settle(1), wakesOwner: false)
        #expect(!self.wasSignalled(wakeup))
        await queue.submit(self.settle(2))
        await queue.submit(self.settle(3))
        #expect(self.wasSignalled(wakeup), "the first waking command signals")
        #expect(!queue.prepareToSleep(takesPublishes: true), "commands are queued: the owner must not sleep")
        #expect(queue.takeControl().count == 3)
    }

    @Test("publishes do not wake an owner that waits for confirms, and control commands do")
    func publishesWaitForRoom() async throws {
        let wakeup = try Wakeup()
        let queue = CommandQueue(capacity: 10, wakeup: wakeup)
        #expect(queue.prepareToSleep(takesPublishes: false))
        await queue.submit(self.publish(1))
        #expect(!self.wasSignalled(wakeup))
        #expect(queue.prepareToSleep(takesPublishes: false), "a full window: queued publishes are no reason to stay up")
        await queue.submit(self.settle(1))
        #expect(self.wasSignalled(wakeup))
        #expect(queue.takeControl().count == 1)
        #expect(queue.takePublishes().count == 1)
    }

    @Test("a publisher waits while the publish lane is full, and goes on once the owner takes it")
    func laneIsBounded() async throws {
        let queue = CommandQueue(capacity: 10, wakeup: try Wakeup())
        await queue.submit(self.publish(6))
        let submitted = Mutex(false)
        let second = self.publish(6)
        let blocked = Task {
            await queue.submit(second)  // 12 > 10: waits
            submitted.withLock { $0 = true }
        }
        for _ in 0..<20 { await Task.yield() }
        #expect(!submitted.withLock { $0 })
        // Control commands never wait behind the lane.
        await queue.submit(self.settle(1))
        #expect(queue.takeControl().count == 1)
        #expect(queue.takePublishes().count == 1)
        await blocked.value
        #expect(submitted.withLock { $0 })
        #expect(queue.hasQueuedPublishes)
        #expect(queue.removeExpiredPublishes(now: .now + .seconds(60)).map(\.messages.count) == [6])
        #expect(!queue.hasQueuedPublishes, "an expired publish leaves the queue")
    }

    @Test("a publish whose deadline passed leaves the lane, and its room goes to a waiting publisher")
    func expiredPublishesFreeTheLane() async throws {
        let queue = CommandQueue(capacity: 10, wakeup: try Wakeup())
        let start = ContinuousClock.now
        let expiring = PublishRequest(
            exchange: "orders", messages: (0..<6).map { Message(text: "\($0)") }, deadline: start + .seconds(1),
            mandatory: false, properties: nil, completion: nil)
        await queue.submit(.publish(expiring))
        await queue.submit(.flush({ _ in }))
        let submitted = Mutex(false)
        let waiting = Task {
            await queue.submit(self.publish(6))  // 6 + 1 + 6 > 10: waits
            submitted.withLock { $0 = true }
        }
        for _ in 0..<20 { await Task.yield() }
        #expect(!submitted.withLock { $0 })
        #expect(queue.removeExpiredPublishes(now: start).isEmpty, "nothing expired yet")
        let expired = queue.removeExpiredPublishes(now: start + .seconds(2))
        #expect(expired.count == 1 && expired.first === expiring)
        await waiting.value
        #expect(submitted.withLock { $0 })
        let lane = queue.takePublishes()
        #expect(lane.map(\.isFlush) == [true, false], "the flush stays, in order, before the later publish")
    }
}
