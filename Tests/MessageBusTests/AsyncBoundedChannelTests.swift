import MessageBusIntegrationSupport
@testable import MessageBus
import Synchronization
import Testing

@Suite("Bounded channel")
struct AsyncBoundedChannelTests {
    @Test func senderWaitsWhileFullAndResumesWhenDrained() async {
        let channel = AsyncBoundedChannel<Int>(capacity: 2)
        let sent = Atomic(0)
        let producer = Task {
            for value in 0..<5 {
                await channel.send(value)
                sent.add(1, ordering: .relaxed)
            }
            channel.finish()
        }
        try? await Task.sleep(for: .milliseconds(100))
        #expect(sent.load(ordering: .relaxed) == 2, "only the capacity is accepted while nobody receives")
        var received: [Int] = []
        while let value = await channel.receive() { received.append(value) }
        await producer.value
        #expect(received == [0, 1, 2, 3, 4])
    }

    @Test func finishRefusesWaitingSendersAndDrainsTheBuffer() async {
        let channel = AsyncBoundedChannel<Int>(capacity: 1)
        #expect(await channel.send(1))
        let blocked = Task { await channel.send(2) }
        try? await Task.sleep(for: .milliseconds(50))
        channel.finish()
        #expect(await blocked.value == false)
        #expect(await channel.receive() == 1)
        #expect(await channel.receive() == nil)
        #expect(await channel.send(3) == false)
    }

    /// A sender that found the channel full checks again for room before it waits; when the receiver drained
    /// the channel and began to wait in between, the element must go to that receiver, not into the buffer
    /// behind its back (where it would sit until the next send, which would then overtake it). The lost wake-up
    /// showed within 5,000 rounds every time; under ThreadSanitizer, where a round costs about thirty times as much
    /// (5,000 took 173 s alone), 200 give the race detector the same interleavings to look at.
    @Test(.timeLimit(.minutes(1)))
    func anElementSentWhileTheReceiverStartsWaitingReachesItInOrder() async {
        for _ in 0..<(ThreadSanitizer.isActive ? 200 : 5_000) {
            let channel = AsyncBoundedChannel<Int>(capacity: 1)
            let receiver = Task {
                var received: [Int] = []
                while let value = await channel.receive() {
                    received.append(value)
                    if Bool.random() { await Task.yield() }
                }
                return received
            }
            for value in 0..<200 {
                await channel.send(value)
                if Bool.random() { await Task.yield() }
            }
            channel.finish()
            let received = await receiver.value
            #expect(received == Array(0..<200))
            if received != Array(0..<200) { return }
        }
    }
}
