import Foundation
import Synchronization

/// Runs `rabbitmqctl` against the local test node through `scripts/brokers.sh ctl`, which knows its user, cookie
/// and loopback settings.
enum BrokerControl {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }

    /// One `rabbitmqctl` at a time: parallel suites calling it at the same moment made CLI nodes whose distribution
    /// connections to the broker failed ("unable to perform an operation on node", seen in CI with the node up).
    private static let turn = Mutex(())

    /// Runs `rabbitmqctl ARGS` (at most 60 s) and returns its standard output; a failure to reach the node is tried
    /// again twice.
    static func rabbitmqctl(_ arguments: [String]) throws -> String {
        try self.turn.withLock { _ in
            var attempt = 1
            while true {
                do {
                    return try self.runChecked(
                        self.repositoryRoot.appendingPathComponent("scripts/brokers.sh").path, ["ctl"] + arguments,
                        what: "rabbitmqctl \(arguments.joined(separator: " "))")
                } catch let failure as Failure where attempt < 3 && failure.description.contains("unable to perform") {
                    attempt += 1
                    usleep(500_000)
                }
            }
        }
    }

    /// Runs a program with a time bound; throws with its output when it fails or does not end in time.
    static func runChecked(_ executable: String, _ arguments: [String], what: String) throws -> String {
        let outcome = try ChildProcess.run(executable, arguments, timeout: .seconds(60))
        guard outcome.status == 0 else {
            throw Failure(description: "\(what) failed: \(outcome.output)")
        }
        return outcome.output
    }

    /// Force-closes every connection whose client properties contain `connectionName`; returns how many.
    static func closeConnections(named connectionName: String) throws -> Int {
        let listing = try self.rabbitmqctl(["-q", "list_connections", "pid", "client_properties"])
        let pids = listing.split(separator: "\n").filter { $0.contains(connectionName) }.compactMap { line in
            line.split(separator: "\t").first.map(String.init)
        }
        for pid in pids {
            _ = try self.rabbitmqctl(["close_connection", pid, "MessageBus recovery test"])
        }
        return pids.count
    }
}
