import Foundation
import MessageBus
import MessageBusIntegrationSupport
import Synchronization
import Testing

/// The threads of blocking C calls: reused from one call to the next, never making a call wait for another, and
/// gone once idle.
@Suite("Blocking-call threads")
struct BlockingCallThreadsTests {
    @Test("calls one after another run on one reused thread")
    func sequentialCallsReuseOneThread() async throws {
        // An idle lifetime no scheduling delay between two calls reaches, even on a loaded machine.
        let threads = BlockingCallThreads(idleLifetime: .seconds(600))
        let threadsSeen = Mutex(Set<ObjectIdentifier>())
        for _ in 0..<200 {
            let done = AsyncOneShot<Void>()
            // Resumed by `then`, as DedicatedThread resumes its callers: the thread is free again by then, so the
            // next submit finds it (a call that resumed its caller itself raced the thread's return to the pool).
            threads.submit {
                threadsSeen.withLock { _ = $0.insert(ObjectIdentifier(Thread.current)) }
            } then: {
                done.fulfill(Result<Void, any Error>.success(()))
            }
            try await done.value
        }
        #expect(threadsSeen.withLock(\.count) == 1)
        #expect(threads.threadCount == 1)
    }

    @Test("a call's result is delivered once its thread is free: a call submitted from the delivery reuses it")
    func deliveryRunsOnAFreeThread() async throws {
        let threads = BlockingCallThreads(idleLifetime: .seconds(600))
        let done = AsyncOneShot<Int>()
        threads.submit {
            ObjectIdentifier(Thread.current)
        } then: { first in
            // Submitted while the first call's thread is still running this delivery: that thread already counts
            // as free, so no second thread starts.
            threads.submit {
                ObjectIdentifier(Thread.current) == first ? 1 : 2
            } then: { done.fulfill(.success($0) as Result<Int, any Error>) }
        }
        #expect(try await done.value == 1)
        #expect(threads.threadCount == 1)
    }

    @Test("calls that wait for each other all run at once: no call queues behind a busy thread")
    func blockedCallsNeverQueue() async throws {
        let threads = BlockingCallThreads(idleLifetime: .seconds(600))
        let calls = 16
        let started = Atomic(0)
        let finished = Atomic(0)
        let release = DispatchSemaphore(value: 0)
        for _ in 0..<calls {
            threads.submit {
                started.add(1, ordering: .relaxed)
                release.wait()
                finished.add(1, ordering: .relaxed)
            }
        }
        try await eventually(
            "\(calls) calls running at once, saw \(started.load(ordering: .relaxed))", timeout: .seconds(30)
        ) {
            started.load(ordering: .relaxed) == calls
        }
        #expect(threads.threadCount == calls)
        for _ in 0..<calls { release.signal() }
        try await eventually("\(calls) calls finished", timeout: .seconds(30)) {
            finished.load(ordering: .relaxed) == calls
        }
    }

    @Test("a thread idle for its lifetime ends; the next call starts a new one")
    func idleThreadsEnd() async throws {
        let threads = BlockingCallThreads(idleLifetime: .milliseconds(50))
        threads.submit {}
        try await eventually("no thread left, saw \(threads.threadCount)", timeout: .seconds(30)) {
            threads.threadCount == 0
        }
        let done = AsyncOneShot<Void>()
        threads.submit { done.fulfill(Result<Void, any Error>.success(())) }
        try await done.value
    }

    #if os(Linux)
    @Test("a dedicated thread carries its name where the system shows it (/proc, top -H, perf)")
    func dedicatedThreadNameIsVisible() async throws {
        let names = await DedicatedThread.run("mb-test-name") { () -> [String] in
            // Linux names a thread in /proc/self/task/<tid>/comm; the current thread is /proc/thread-self.
            let comm = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
            return [comm.trimmingCharacters(in: .whitespacesAndNewlines)]
        }
        #expect(names == ["mb-test-name"])
        // A loop's own thread (a consumer's, a connection's owner's) too.
        let loopName = AsyncOneShot<String>()
        DedicatedThread.start("mb-test-loop") {
            let comm = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
            loopName.fulfill(.success(comm.trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        #expect(try await loopName.value == "mb-test-loop")
        // A longer name is cut to what Linux keeps rather than refused (and the thread left with its parent's).
        let longName = await DedicatedThread.run("mb-test-a-name-too-long") { () -> String in
            let comm = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
            return comm.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(longName == "mb-test-a-name-")
        // Cut between characters: the 15th byte is the first half of an "é".
        #expect(DedicatedThread.systemName("mb-a-é-é-é-é-é") == "mb-a-é-é-é-")
    }
    #endif
}
