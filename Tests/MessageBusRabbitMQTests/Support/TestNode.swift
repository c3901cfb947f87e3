import MessageBusIntegrationSupport
import Foundation

/// A RabbitMQ node of the test's own (see `rabbitmq-test-node.sh`), for faults that must not touch the shared
/// node: its own name, AMQP and distribution ports, and data under `.state/test-nodes/<name>`.
struct TestNode: Sendable {
    let name: String
    let amqpPort: Int
    let distributionPort: Int
    /// A TLS listener: port, CA, certificate and key files (PEM), or `nil`.
    var tls: (port: Int, ca: String, certificate: String, key: String)?

    static var script: URL {
        BrokerControl.repositoryRoot.appendingPathComponent("Tests/MessageBusRabbitMQTests/Support/rabbitmq-test-node.sh")
    }

    /// Starts the node (ending a leftover one first) and returns once its listeners accept connections.
    func start() async throws {
        var arguments = ["start", self.name, "\(self.amqpPort)", "\(self.distributionPort)"]
        if let tls { arguments += ["\(tls.port)", tls.ca, tls.certificate, tls.key] }
        _ = try await Self.run(arguments, timeout: .seconds(75))
    }

    /// Stops the node by its PID (graceful, then TERM and KILL); its data stays for a later ``start()``.
    func stop() async throws {
        _ = try await Self.run(["stop", self.name], timeout: .seconds(60))
    }

    /// Runs `rabbitmqctl ARGS` against the node and returns its output.
    func rabbitmqctl(_ arguments: [String]) async throws -> String {
        try await Self.run(["ctl", self.name] + arguments, timeout: .seconds(100))
    }

    /// Stops the node and deletes its data; never throws, so that it can end every test.
    func wipe() async {
        do {
            _ = try await Self.run(["wipe", self.name], timeout: .seconds(60))
        } catch {
            print("warning: could not stop test node \(self.name): \(error)")
        }
    }

    /// Runs the node script, bounded by `timeout` (after which the script is terminated and this throws).
    private static func run(_ arguments: [String], timeout: Duration) async throws -> String {
        try await onDedicatedThread("rabbitmq-test-node") {
            let outcome = try ChildProcess.run(self.script.path, arguments, timeout: timeout)
            guard outcome.status == 0 else {
                throw BrokerControl.Failure(
                    description: "rabbitmq-test-node.sh \(arguments) failed (\(outcome.status)): \(outcome.output)")
            }
            return outcome.output
        }
    }
}
