import Foundation

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

    /// Runs `rabbitmqctl ARGS` and returns its standard output.
    static func rabbitmqctl(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = self.repositoryRoot.appendingPathComponent("scripts/brokers.sh")
        process.arguments = ["ctl"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw Failure(description: "rabbitmqctl \(arguments.joined(separator: " ")) failed: \(text)")
        }
        return text
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
