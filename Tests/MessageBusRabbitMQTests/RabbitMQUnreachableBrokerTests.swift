import MessageBusIntegrationSupport
import Testing

/// What an integration test says when its broker is not there. Needs no broker: it connects to a
/// loopback port where nothing listens.
@Suite("RabbitMQ broker unreachable")
struct RabbitMQUnreachableBrokerTests {
    @Test("fails naming the address tried and how to start the brokers")
    func unreachableBrokerFailsWithHelp() async throws {
        let url = "amqp://guest:guest@127.0.0.1:1/%2F"  // tcpmux: nothing listens there
        let error = try await onDedicatedThread("rabbitmq-unreachable") { () -> BrokerUnreachable? in
            do {
                _ = try AMQPConnection(url: url, connectTimeoutSeconds: 2)
                return nil
            } catch let error as BrokerUnreachable {
                return error
            }
        }
        let unreachable = try #require(error, "connecting to \(url) unexpectedly succeeded")
        let text = unreachable.description
        #expect(text.contains("RabbitMQ broker at 127.0.0.1:1 is unreachable"))
        #expect(text.contains("make brokers-start"))
        #expect(text.contains("docker compose up -d"))
        #expect(text.contains("MESSAGEBUS_AMQP_URL"))
        #expect(text.contains("MESSAGEBUS_SKIP_INTEGRATION=1"))
    }

    @Test("parses the AMQP URL the tests read")
    func parsesURL() throws {
        let address = try AMQPConnection.Address(parsing: "amqp://guest:secret@127.0.0.1:5673/%2F")
        #expect(address.host == "127.0.0.1")
        #expect(address.port == 5673)
        #expect(address.user == "guest")
        #expect(address.password == "secret")
        #expect(address.virtualHost == "/")
        #expect(!address.tls)
        #expect(throws: AMQPClientError.self) { try AMQPConnection.Address(parsing: "http://nope") }
    }
}
