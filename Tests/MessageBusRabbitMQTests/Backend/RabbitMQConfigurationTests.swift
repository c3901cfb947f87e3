import Logging
import MessageBus
import MessageBusRabbitMQ
import Testing

/// URL and typed configuration: no broker needed.
@Suite("RabbitMQ configuration")
struct RabbitMQConfigurationTests {
    @Test("an amqp:// URL maps hosts, vhost, credentials and options")
    func parsesURL() throws {
        let url = try MessageBusURL(
            "amqp://app:s3cret@node-a:5673,node-b/%2Fprod?heartbeat=10&frame_max=65536&channel_max=64"
                + "&connection_name=billing&connection_timeout=3&queue_type=classic")
        let configuration = try RabbitMQConfiguration(url: url)
        #expect(configuration.endpoints == [RabbitMQEndpoint(host: "node-a", port: 5673), RabbitMQEndpoint(host: "node-b")])
        #expect(configuration.virtualHost == "/prod")
        #expect(configuration.user == "app")
        #expect(configuration.password == "s3cret")
        #expect(configuration.heartbeat == .seconds(10))
        #expect(configuration.frameMax == 65_536)
        #expect(configuration.channelMax == 64)
        #expect(configuration.connectionName == "billing")
        #expect(configuration.connectionTimeout == .seconds(3))
        #expect(configuration.groupQueueType == .classic)
        #expect(configuration.tls == nil)
        #expect(!configuration.description.contains("s3cret"))
    }

    @Test("defaults: vhost /, guest, port 5672; amqps:// defaults to 5671 with verification on")
    func defaults() throws {
        let plain = try RabbitMQConfiguration(url: MessageBusURL("amqp://localhost"))
        #expect(plain.virtualHost == "/")
        #expect(plain.user == "guest")
        #expect(plain.endpoints == [RabbitMQEndpoint(host: "localhost", port: 5672)])
        let secure = try RabbitMQConfiguration(
            url: MessageBusURL("amqps://u:p@broker/%2F?cacertfile=/etc/ca.pem&verify=verify_peer"))
        #expect(secure.endpoints == [RabbitMQEndpoint(host: "broker", port: 5671)])
        #expect(secure.tls?.caCertificatePath == "/etc/ca.pem")
        #expect(secure.tls?.verifyPeer == true)
        #expect(secure.tls?.verifyHostname == true)
    }

    @Test("unknown options and bad values are typed errors naming the input, never the password")
    func rejectsBadInput() throws {
        for (text, expected) in [
            ("amqp://u:pw@h/?hearbeat=5", "hearbeat"), ("amqp://u:pw@h/?heartbeat=soon", "soon"),
            ("amqp://u:pw@h/?frame_max=12", "12"), ("amqp://u:pw@h/?queue_type=stream", "stream"),
            ("amqp://u:pw@h/?cacertfile=/ca.pem", "cacertfile"),
        ] {
            let error = try #require(throws: MessageBusError.self) {
                try RabbitMQConfiguration(url: MessageBusURL(text))
            }
            #expect(error.code == .invalidConfiguration, "\(text)")
            #expect(error.message.contains(expected), "\(error.message)")
            #expect(!error.description.contains("pw@"), "\(error.description)")
        }
        #expect(throws: MessageBusError.self) { try RabbitMQConfiguration(url: MessageBusURL("kafka://h:9092")) }
    }

    @Test("exactly-once is refused at configuration time, pointing at effectively-once")
    func refusesExactlyOnce() async throws {
        let error = try await #require(throws: MessageBusError.self) {
            _ = try await RabbitMQMessageBus(
                rabbitMQ: RabbitMQConfiguration(endpoints: [RabbitMQEndpoint(host: "127.0.0.1", port: 1)]),
                configuration: MessageBusConfiguration(guarantee: .exactlyOnce), logger: .init(label: "test"))
        }
        #expect(error.code == .unsupported)
        #expect(error.message.contains("effectively"))
    }
}
