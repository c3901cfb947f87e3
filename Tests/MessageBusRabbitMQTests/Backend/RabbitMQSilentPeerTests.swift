#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import MessageBus
import MessageBusRabbitMQ
import Testing

/// A peer that takes the TCP connection but never says a word of AMQP (a hung broker, a wrong port): connecting
/// must fail within the configured connection timeout, not hang. Needs no broker.
@Suite("RabbitMQ silent peer", .timeLimit(.minutes(1)))
struct RabbitMQSilentPeerTests {
    @Test("connect fails with connectionFailed within connection_timeout against a listener that never answers")
    func silentListenerTimesOut() async throws {
        let listener = try SilentListener()
        defer { listener.close() }
        let timeout = Duration.seconds(1)
        let configuration = RabbitMQConfiguration(
            endpoints: [RabbitMQEndpoint(host: "127.0.0.1", port: listener.port)], connectionTimeout: timeout,
            requestTimeout: .seconds(30), recovery: .disabled)
        let started = ContinuousClock.now
        let error = try await #require(throws: MessageBusError.self) {
            _ = try await RabbitMQMessageBus(rabbitMQ: configuration, logger: Logger(label: "test.silent"))
        }
        let elapsed = ContinuousClock.now - started
        print("silent peer: connect failed after \(elapsed) (connection timeout \(timeout)): \(error)")
        #expect(error.code == .connectionFailed, "\(error)")
        #expect(error.message.contains("127.0.0.1:\(listener.port)"), "\(error.message)")
        #expect(error.message.contains("handshake"), "\(error.message)")
        // It really waited (the socket was accepted by the kernel), and no longer than its bound; the request
        // timeout (30 s) does not apply to connecting.
        #expect(elapsed >= timeout - .milliseconds(100), "took \(elapsed)")
        // Slack for a 2-core machine running the other suites at once; still far below the request timeout.
        #expect(elapsed < timeout + .seconds(20), "took \(elapsed)")
    }
}

/// A loopback TCP listener that never calls `accept` and never writes: the kernel completes the TCP handshake
/// (the backlog holds the connection), and then nothing happens.
final class SilentListener {
    let descriptor: Int32
    let port: Int

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw BrokerControl.Failure(description: "socket: \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0  // any free port
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(descriptor, address, length) == 0 && listen(descriptor, 8) == 0
                    && getsockname(descriptor, address, &length) == 0
            }
        }
        guard bound else {
            Glibc.close(descriptor)
            throw BrokerControl.Failure(description: "cannot listen on 127.0.0.1: errno \(errno)")
        }
        self.descriptor = descriptor
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() {
        Glibc.close(self.descriptor)
    }
}
