import MessageBusIntegrationSupport

/// The scripts the harness runs to their end (a test RabbitMQ node's start, stop and wipe).
enum ChaosRun {
    /// Runs `executable` to its end within `limit` and returns its output; throws when it fails or overruns.
    static func run(_ executable: String, _ arguments: [String], limit: Duration) async throws -> String {
        let (status, output) = try await onDedicatedThread("chaos-run") {
            try SpawnedProcess.run(executable, arguments, limit: limit)
        }
        guard status == 0 else {
            throw SpawnedProcessFailure(description: "\(executable) \(arguments) failed (\(status)): \(output)")
        }
        return output
    }
}
