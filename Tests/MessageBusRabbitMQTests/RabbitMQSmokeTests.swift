import MessageBusIntegrationSupport
import Testing

/// A message through rabbitmq-c's C API on the real broker at MESSAGEBUS_AMQP_URL (default
/// amqp://guest:guest@127.0.0.1:5672/%2F): `make test` starts one.
///
/// `.enabled(if:)` is an explicit opt-out only: with MESSAGEBUS_SKIP_INTEGRATION=1 the suite is skipped
/// and a banner on stderr says so; otherwise a broker that does not answer makes the test fail.
@Suite(
    "RabbitMQ smoke test (real broker)",
    .enabled(if: IntegrationGate.isEnabled, IntegrationGate.skipComment),
    .timeLimit(.minutes(1))
)
struct RabbitMQSmokeTests {
    @Test("one message published and fetched back with basic.get, on a queue deleted afterwards")
    func publishAndGet() async throws {
        let url = AMQPTestEnvironment.url
        let queue = AMQPTestEnvironment.uniqueName("messagebus-smoke")
        let body = "hello from \(queue)"

        let result = try await onDedicatedThread("rabbitmq-smoke") {
            try AMQPRoundTrip.publishAndGet(body, queue: queue, url: url)
        }
        #expect(result.fetched == AMQPRoundTrip.Fetched(body: body, contentType: "text/plain"))
        #expect(result.leftInQueue == 0)
    }
}
