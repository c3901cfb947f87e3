import Foundation
@testable import MessageBus
import MessageBusIntegrationSupport
import Testing

/// The core's one-shot and the waiter list under it: results reach every waiter once, and a cancelled waiter
/// leaves at once without taking the result from the others.
@Suite("AsyncOneShot")
struct AsyncOneShotTests {
    @Test("a result produced before or after the wait reaches every waiter; the first result wins")
    func resultReachesEveryWaiter() async throws {
        let shot = AsyncOneShot<Int>()
        let waiters = (0..<5).map { _ in Task { try await shot.value } }
        try await Task.sleep(for: .milliseconds(50))
        #expect(shot.fulfill(.success(7) as Result<Int, any Error>))
        #expect(!shot.fulfill(.success(8) as Result<Int, any Error>))
        for waiter in waiters { #expect(try await waiter.value == 7) }
        #expect(try await shot.value == 7)
        #expect(shot.isFulfilled)
    }

    @Test("a cancelled waiter throws CancellationError at once; the others still get the result")
    func cancelledWaiterLeaves() async throws {
        let shot = AsyncOneShot<String>()
        let staying = Task { try await shot.value }
        let outcome = await CancellationProbe.cancel(after: .milliseconds(100)) { try await shot.value }
        #expect(outcome.threwCancellationPromptly, "\(outcome)")
        shot.fulfill(.success("done") as Result<String, any Error>)
        #expect(try await staying.value == "done")
    }

    @Test("a task cancelled before it waits throws at once")
    func alreadyCancelled() async throws {
        let shot = AsyncOneShot<Int>()
        let result = await Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await CancellationProbe.result { try await shot.value }
        }.value
        #expect(throws: CancellationError.self) { try result.get() }
    }

    @Test("a timed wait returns nil once the timeout passes, and the result when it comes first")
    func timeout() async throws {
        let shot = AsyncOneShot<Int>()
        let started = ContinuousClock.now
        #expect(try await shot.value(timeout: .milliseconds(100)) == nil)
        #expect(ContinuousClock.now - started >= .milliseconds(100))
        let waiting = Task { try await shot.value(timeout: .seconds(30)) }
        try await Task.sleep(for: .milliseconds(50))
        shot.fulfill(.success(3) as Result<Int, any Error>)
        #expect(try await waiting.value == 3)
        let outcome = await CancellationProbe.cancel(after: .milliseconds(100)) {
            try await AsyncOneShot<Int>().value(timeout: .seconds(30))
        }
        #expect(outcome.threwCancellation && outcome.elapsed < CancellationProbe.promptly)
    }

    @Test("waiters cancelled at random while results arrive: each ends exactly once")
    func racingCancellations() async throws {
        for round in 0..<200 {
            let shot = AsyncOneShot<Int>()
            let waiters = (0..<4).map { _ in Task { try await shot.value } }
            if round % 2 == 0 { waiters[round % 4].cancel() }
            shot.fulfill(.success(round) as Result<Int, any Error>)
            if round % 2 == 1 { waiters[round % 4].cancel() }
            for waiter in waiters {
                switch await waiter.result {
                case .success(let value): #expect(value == round)
                case .failure(let error): #expect(error is CancellationError)
                }
            }
        }
    }

    @Test("a blocking body on a dedicated thread: a cancelled caller leaves at once, the thread finishes alone")
    func dedicatedThreadCancellation() async throws {
        let outcome = await CancellationProbe.cancel(after: .milliseconds(100)) {
            try await DedicatedThread.run("test-blocking") { () throws -> Int in
                Thread.sleep(forTimeInterval: 2)
                return 1
            }
        }
        #expect(outcome.threwCancellationPromptly, "\(outcome)")
    }
}
