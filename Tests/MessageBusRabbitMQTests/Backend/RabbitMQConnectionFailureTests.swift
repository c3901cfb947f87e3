import MessageBusIntegrationSupport
import Logging
import MessageBus
import MessageBusRabbitMQ
import Testing

/// Opening a bus fails fast with a typed error when the broker refuses it or is not there.
@Suite(
    "RabbitMQ connection failures (real broker)",
    .enabled(if: IntegrationGate.isEnabled, IntegrationGate.skipComment),
    .timeLimit(.minutes(1))
)
struct RabbitMQConnectionFailureTests {
    private static func configuration() throws -> RabbitMQConfiguration {
        try RabbitMQConfiguration(url: MessageBusURL(AMQPTestEnvironment.url))
    }

    @Test("a wrong password fails fast with authenticationFailed, without echoing the password")
    func wrongPassword() async throws {
        try await RabbitMQTestBus.requireBroker()
        var configuration = try Self.configuration()
        configuration.password = "not-the-password-\(Int.random(in: 0...999))"
        let started = ContinuousClock.now
        let error = try await #require(throws: MessageBusError.self) {
            _ = try await RabbitMQMessageBus(rabbitMQ: configuration, logger: Logger(label: "test"))
        }
        #expect(error.code == .authenticationFailed, "\(error)")
        #expect(!error.description.contains(configuration.password))
        #expect(ContinuousClock.now - started < .seconds(20))
    }

    @Test("a missing virtual host fails fast with a typed error naming it")
    func missingVirtualHost() async throws {
        try await RabbitMQTestBus.requireBroker()
        var configuration = try Self.configuration()
        configuration.virtualHost = "no-such-vhost-\(Int.random(in: 0...999))"
        let started = ContinuousClock.now
        let error = try await #require(throws: MessageBusError.self) {
            _ = try await RabbitMQMessageBus(rabbitMQ: configuration, logger: Logger(label: "test"))
        }
        #expect(error.code == .invalidConfiguration, "\(error)")
        #expect(error.message.contains(configuration.virtualHost))
        #expect(ContinuousClock.now - started < .seconds(20))
    }

    @Test("an unreachable host fails with connectionFailed within its connection timeout")
    func unreachableHost() async throws {
        // 10.255.255.1 is a non-routed address: where the SYN goes unanswered only the timeout ends the attempt;
        // on machines with no route at all (this one) it fails at once. RabbitMQSilentPeerTests proves the bound.
        var configuration = RabbitMQConfiguration(endpoints: [RabbitMQEndpoint(host: "10.255.255.1")])
        configuration.connectionTimeout = .seconds(2)
        let started = ContinuousClock.now
        let error = try await #require(throws: MessageBusError.self) {
            _ = try await RabbitMQMessageBus(rabbitMQ: configuration, logger: Logger(label: "test"))
        }
        let elapsed = ContinuousClock.now - started
        #expect(error.code == .connectionFailed, "\(error)")
        #expect(error.message.contains("10.255.255.1"))
        // A bound on a hang, not a speed measurement: slack for a 2-core machine running the other suites at once.
        #expect(elapsed < .seconds(30), "took \(elapsed)")
    }

    @Test("endpoints are tried in order: a node that refuses is skipped for the next one")
    func triesEndpointsInOrder() async throws {
        try await RabbitMQTestBus.requireBroker()
        var configuration = try Self.configuration()
        configuration.endpoints.insert(RabbitMQEndpoint(host: "127.0.0.1", port: 1), at: 0)  // nothing listens
        configuration.connectionTimeout = .seconds(2)
        let bus = try await RabbitMQMessageBus(rabbitMQ: configuration, logger: Logger(label: "test"))
        try await bus.checkReadiness()
        try await bus.close()
    }
}
