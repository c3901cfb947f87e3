import MessageBus
import Testing

@Suite("Retry policy, de-duplication store, errors")
struct SmallValueTests {
    struct Boom: Error, CustomStringConvertible {
        var description: String { "boom" }
    }

    @Test func retryPolicyRetriesUntilTheLastAttempt() {
        let policy = RetryPolicy(maxAttempts: 3, backoff: .constant(.seconds(1)))
        #expect(policy.outcome(afterFailedAttempt: 1, error: Boom()) == .retry(after: .seconds(1)))
        #expect(policy.outcome(afterFailedAttempt: 2, error: Boom()) == .retry(after: .seconds(1)))
        #expect(policy.outcome(afterFailedAttempt: 3, error: Boom()) == .deadLetter(reason: "failed 3 of 3 attempts: boom"))
        #expect(RetryPolicy(maxAttempts: 2, backoff: .none).outcome(afterFailedAttempt: 1, error: Boom()) == .requeue)
        #expect(RetryPolicy(maxAttempts: 1, onExhaustion: .discard).outcome(afterFailedAttempt: 1, error: Boom()) == .discard)
        #expect(RetryPolicy(maxAttempts: 0).maxAttempts == 1)
    }

    @Test func backoffGrowsExponentiallyUpToItsMaximumWithJitterBelowTheNominalWait() {
        let backoff = RetryPolicy.Backoff(initial: .milliseconds(100), multiplier: 2, maximum: .seconds(1), jitter: 0.5)
        #expect(backoff.nominalDelay(afterAttempt: 1) == .milliseconds(100))
        #expect(backoff.nominalDelay(afterAttempt: 2) == .milliseconds(200))
        #expect(backoff.nominalDelay(afterAttempt: 4) == .milliseconds(800))
        #expect(backoff.nominalDelay(afterAttempt: 5) == .seconds(1))
        #expect(backoff.nominalDelay(afterAttempt: 10_000) == .seconds(1))
        var generator = SystemRandomNumberGenerator()
        for attempt in 1...20 {
            let delay = backoff.delay(afterAttempt: attempt, using: &generator)
            let nominal = backoff.nominalDelay(afterAttempt: attempt)
            #expect(delay <= nominal && delay >= nominal * 0.5, "attempt \(attempt): \(delay) against \(nominal)")
        }
        #expect(RetryPolicy.Backoff(initial: .seconds(-1), multiplier: .nan, maximum: .zero, jitter: 7).jitter == 1)
        #expect(RetryPolicy.Backoff.none.delay(afterAttempt: 3) == .zero)
    }

    @Test func derivedNamesFitTheBrokerLimitAndStayDistinct() {
        #expect(DestinationName.fitting("orders.billing", maxLength: 255) == "orders.billing")
        let long = String(repeating: "d", count: 200) + "." + String(repeating: "g", count: 200)
        let other = String(repeating: "d", count: 200) + "." + String(repeating: "g", count: 199) + "h"
        let fitted = DestinationName.fitting(long, maxLength: 255)
        #expect(fitted.utf8.count == 255)
        #expect(fitted != DestinationName.fitting(other, maxLength: 255))
        #expect(fitted == DestinationName.fitting(long, maxLength: 255))
        #expect(DestinationName.stableHash("orders") == DestinationName.stableHash("orders"))
        #expect(DestinationName.stableHash("orders").utf8.count == 16)
    }

    @Test func deduplicationStoreForgetsTheOldestFirst() async {
        let store = InMemoryDeduplicationStore(capacity: 2)
        await store.insert("a")
        await store.insert("b")
        await store.insert("a")
        await store.insert("c")
        #expect(await store.contains("a") == false)
        #expect(await store.contains("b"))
        #expect(await store.contains("c"))
        #expect(store.count == 2)
    }

    @Test func errorDescriptionsNameCodeAndMessage() {
        let error = MessageBusError(.messageTooLarge, "message m1 is 2000000 bytes; the limit is 1048576")
        #expect(error.description == "MessageBusError.messageTooLarge: message m1 is 2000000 bytes; the limit is 1048576")
        #expect(!error.isRetriable)
        #expect(MessageBusError(.connectionFailed, "x").isRetriable)
    }

    @Test func destinationNamesMustBePortable() throws {
        try DestinationName.validate("orders.eu-west_1")
        #expect(throws: MessageBusError.self) { try DestinationName.validate("orders/eu") }
        #expect(throws: MessageBusError.self) { try DestinationName.validate("..") }
    }

    @Test func exactlyOnceWithoutTransactionsIsRefusedNamingEffectivelyOnce() {
        let configuration = MessageBusConfiguration(guarantee: .exactlyOnce)
        #expect {
            try configuration.validate(against: [.deadLettering], backend: "rabbitmq")
        } throws: { error in
            guard let error = error as? MessageBusError else { return false }
            return error.code == .unsupported && error.message.contains("effectivelyOnce")
        }
    }

    @Test func replayNeedsTheCapability() {
        #expect(throws: MessageBusError.self) {
            try SubscriptionOptions(startPosition: .offset(3)).validate(against: [], backend: "x")
        }
        #expect(throws: MessageBusError.self) {
            try SubscriptionOptions(prefetch: 0).validate(against: [.replay], backend: "x")
        }
    }
}
