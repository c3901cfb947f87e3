import MessageBusIntegrationSupport
import Foundation
import Logging
import MessageBus
import MessageBusRabbitMQ
import Testing

/// `amqps://` against a TLS listener of the test's own node, with certificates made for the run: verification
/// succeeds with the right CA and a client certificate, and fails with a typed error otherwise.
@Suite(
    "RabbitMQ TLS (own node)",
    .enabled(if: IntegrationGate.isEnabled, IntegrationGate.skipComment),
    .timeLimit(.minutes(2))
)
struct RabbitMQTLSTests {
    static let tlsPort = 5681

    @Test("amqps:// with peer and hostname verification works; a wrong CA or no client certificate fails, typed")
    func tls() async throws {
        let folder = BrokerControl.repositoryRoot.appendingPathComponent(".state/test-nodes/messagebus-tls-certificates")
        let certificates = try await onDedicatedThread("openssl") { try TestCertificates.generate(in: folder) }
        let node = TestNode(
            name: "messagebus-tls", amqpPort: 5683, distributionPort: 25683,
            tls: (Self.tlsPort, certificates.caPath, certificates.serverCertificatePath, certificates.serverKeyPath))
        try await node.start()
        do {
            try await self.checkTLS(certificates)
        } catch {
            await node.wipe()
            try? FileManager.default.removeItem(at: folder)
            throw error
        }
        await node.wipe()
        try? FileManager.default.removeItem(at: folder)
    }

    private func checkTLS(_ certificates: TestCertificates) async throws {
        let query = "cacertfile=\(certificates.caPath)&certfile=\(certificates.clientCertificatePath)"
            + "&keyfile=\(certificates.clientKeyPath)&verify=verify_peer&connection_timeout=5"
        let url = try MessageBusURL("amqps://guest:guest@localhost:\(Self.tlsPort)/%2F?\(query)")
        // guest may only log in over loopback; the TLS listener is on 127.0.0.1, so it can.
        let bus = try await RabbitMQMessageBus(url: url, configuration: MessageBusConfiguration(), logger: Logger(label: "tls"))
        let destination = "test.tls.\(UUID().uuidString.prefix(8).lowercased())"
        let subscription = try await bus.subscribe(to: destination, group: "secure")
        try await bus.publish(Message(text: "over TLS", id: "tls-1"), to: destination)
        let delivery = try #require(try await subscription.receive(max: 1, timeout: .seconds(5)).first)
        #expect(delivery.message.id == "tls-1")
        try await delivery.ack()
        try await bus.close()

        for (label, variant) in [
            ("a CA that did not sign the broker's certificate", query.replacingOccurrences(
                of: certificates.caPath, with: certificates.wrongCAPath)),
            ("no client certificate", "cacertfile=\(certificates.caPath)&verify=verify_peer&connection_timeout=5"),
        ] {
            let configuration = try RabbitMQConfiguration(
                url: MessageBusURL("amqps://guest:guest@localhost:\(Self.tlsPort)/%2F?\(variant)"))
            let started = ContinuousClock.now
            let error = try await #require(throws: MessageBusError.self, "\(label)") {
                _ = try await RabbitMQMessageBus(rabbitMQ: configuration, logger: Logger(label: "tls"))
            }
            print("TLS with \(label): \(error)")
            #expect(error.code == .tlsFailed, "\(label): \(error)")
            #expect(error.message.contains("localhost:\(Self.tlsPort)"), "\(label): \(error.message)")
            #expect(error.message.contains("TLS"), "\(label): \(error.message)")
            #expect(ContinuousClock.now - started < .seconds(6), "\(label)")
        }
    }
}
