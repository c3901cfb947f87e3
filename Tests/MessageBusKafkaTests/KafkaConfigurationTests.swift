import Synchronization
import Foundation
import MessageBus
@testable import MessageBusKafka
import Testing

/// Configuration and URL mapping; no broker needed (the bad-property checks fail before any connection).
@Suite("Kafka configuration and URL")
struct KafkaConfigurationTests {
    @Test("a kafka:// URL maps hosts, options and librdkafka properties")
    func urlMapping() throws {
        let url = try MessageBusURL("kafka://alice:s3cret@a.example:9093,b.example?partitions=8&compression.codec=lz4&saslMechanism=SCRAM-SHA-512&tls=true")
        let configuration = try KafkaConfiguration(url: url)
        #expect(configuration.bootstrapServers == ["a.example:9093", "b.example:9092"])
        #expect(configuration.topicPartitions == 8)
        #expect(configuration.additionalProperties["compression.codec"] == "lz4")
        #expect(configuration.security.sasl?.mechanism == .scramSHA512)
        #expect(configuration.security.sasl?.username == "alice")
        #expect(configuration.security.tls != nil)
        #expect(configuration.security.description == "sasl_ssl (SCRAM-SHA-512 as alice)")
        #expect(!url.description.contains("s3cret"))
    }

    @Test("a join the broker never answers is asked again (after max.poll.interval.ms + 3 s) within the join timeout")
    func joinRequestTimeoutFitsTheJoinTimeout() {
        let configuration = KafkaConfiguration(bootstrapServers: ["127.0.0.1:9092"])
        let properties = Dictionary(
            configuration.consumerProperties(clientName: "c", groupID: "g", start: .latest).map { ($0.name, $0.value) },
            uniquingKeysWith: { $1 })
        #expect(properties["max.poll.interval.ms"] == "25000")
        // librdkafka times a JoinGroup request out at max.poll.interval.ms + 3 s: a second try gets the other half.
        #expect(configuration.maxPollInterval + .seconds(3) <= configuration.groupJoinTimeout / 2)

        // librdkafka refuses max.poll.interval.ms below session.timeout.ms: a longer session raises it.
        var longSession = configuration
        longSession.sessionTimeout = .seconds(45)
        #expect(longSession.maxPollIntervalMilliseconds == 45_000)
        var sessionAsProperty = configuration
        sessionAsProperty.additionalProperties["session.timeout.ms"] = "40000"
        #expect(sessionAsProperty.maxPollIntervalMilliseconds == 40_000)
    }

    @Test("a session timeout longer than max.poll.interval.ms still opens a consumer")
    func longSessionTimeoutOpens() async throws {
        let cluster = try KafkaMockCluster(brokers: 1, logger: KafkaBusFactory.logger("mock"))
        let topic = KafkaTestEnvironment.uniqueName("long-session")
        try await cluster.createTopic(topic, partitions: 1)
        var kafka = KafkaConfiguration(bootstrapServers: cluster.bootstrapServers.split(separator: ",").map(String.init))
        kafka.sessionTimeout = .seconds(45)
        let bus = try await KafkaMessageBus(kafka: kafka, logger: KafkaBusFactory.logger("mock"), mockCluster: cluster)
        let subscription = try await bus.subscribe(to: topic, group: "long-session")
        await subscription.cancel()
        try await bus.close()
    }

    @Test("an unknown URL option is rejected by name")
    func unknownOption() throws {
        let url = try MessageBusURL("kafka://localhost:9092?no.such.property=1")
        let error = try #require(throws: MessageBusError.self) { try KafkaConfiguration(url: url) }
        #expect(error.code == .invalidConfiguration)
        #expect(error.message.contains("no.such.property"))
    }

    @Test("a bad librdkafka property name fails the opening, naming it")
    func badPropertyName() async throws {
        var kafka = KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"])
        kafka.additionalProperties = ["not.a.real.property": "x"]
        let error = try await #require(throws: MessageBusError.self) {
            _ = try await KafkaMessageBus(kafka: kafka, logger: KafkaBusFactory.logger("test"))
        }
        #expect(error.code == .invalidConfiguration)
        #expect(error.message.contains("not.a.real.property"))
        #expect(error.message.contains("unknown"))
    }

    @Test("a bad librdkafka property value fails the opening, naming property and value")
    func badPropertyValue() async throws {
        var kafka = KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"])
        kafka.additionalProperties = ["queue.buffering.max.messages": "lots"]
        let error = try await #require(throws: MessageBusError.self) {
            _ = try await KafkaMessageBus(kafka: kafka, logger: KafkaBusFactory.logger("test"))
        }
        #expect(error.code == .invalidConfiguration)
        #expect(error.message.contains("queue.buffering.max.messages"))
        #expect(error.message.contains("lots"))
    }

    @Test("a secret value never appears in the error")
    func secretRedacted() async throws {
        var kafka = KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"])
        kafka.additionalProperties = ["sasl.password": "hunter2", "sasl.mechanisms": "NOT-A-MECHANISM"]
        do {
            _ = try await KafkaMessageBus(kafka: kafka, logger: KafkaBusFactory.logger("test"))
        } catch let error as MessageBusError {
            #expect(!error.message.contains("hunter2"))
        }
    }

    @Test("an unreachable bootstrap address fails within its connect timeout")
    func unreachableFailsInTime() async throws {
        var kafka = KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"])
        kafka.connectTimeout = .seconds(2)
        kafka.additionalProperties = ["log_level": "0"]
        let started = ContinuousClock.now
        let error = try await #require(throws: MessageBusError.self) {
            _ = try await KafkaMessageBus(kafka: kafka, logger: KafkaBusFactory.logger("test"))
        }
        #expect(error.code == .connectionFailed)
        #expect(error.message.contains("127.0.0.1:1"))
        // A bound on a hang, not a speed measurement: generous, because librdkafka's threads start and stop on a
        // 2-core machine that is building and running other suites at the same time.
        #expect(ContinuousClock.now - started < .seconds(20))
    }

    @Test("idempotence without acks=all is refused")
    func idempotenceNeedsAcksAll() throws {
        var kafka = KafkaConfiguration(bootstrapServers: ["localhost:9092"])
        kafka.acks = .leader
        #expect(throws: MessageBusError.self) { try kafka.validate() }
        kafka.enableIdempotence = false
        try kafka.validate()
    }
}

/// The OAUTHBEARER token provider is asked for a token as soon as a client starts (no broker needed: the token is
/// requested before any connection).
@Suite("Kafka OAUTHBEARER token provider")
struct KafkaOAuthBearerTests {
    final class Calls: Sendable {
        let count = Synchronization.Mutex(0)
    }

    @Test("the provider is called when the bus opens")
    func providerCalled() async throws {
        let calls = Calls()
        var kafka = KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"])
        kafka.connectTimeout = .seconds(2)
        kafka.additionalProperties = ["log_level": "0"]
        kafka.security.sasl = KafkaSecurity.SASL(mechanism: .oauthBearer) {
            calls.count.withLock { $0 += 1 }
            return KafkaOAuthBearerToken(
                value: "header.payload.signature", expiration: Date(timeIntervalSinceNow: 3600), principal: "svc",
                extensions: ["traceId": "abc"])
        }
        _ = try? await KafkaMessageBus(kafka: kafka, logger: KafkaBusFactory.logger("oauth"))
        #expect(calls.count.withLock { $0 } >= 1)
    }
}
