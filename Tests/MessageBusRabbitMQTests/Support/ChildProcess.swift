import MessageBusIntegrationSupport

/// Runs a program to completion with a hard time bound (``SpawnedProcess``: `posix_spawn` and `waitpid`, since
/// Foundation's `Process` was seen never to notice the exit of `rabbitmq-test-node.sh`). Blocks: call it from
/// `onDedicatedThread`.
enum ChildProcess {
    struct Outcome {
        var status: Int32
        var output: String
    }

    /// Runs `executable` with `arguments`, its output (standard output and error) going to a temporary file.
    /// After `timeout` the program gets SIGTERM, and SIGKILL two seconds later, and this throws.
    static func run(_ executable: String, _ arguments: [String], timeout: Duration) throws -> Outcome {
        do {
            let (status, output) = try SpawnedProcess.run(executable, arguments, limit: timeout)
            return Outcome(status: status, output: output)
        } catch let failure as SpawnedProcessFailure {
            throw BrokerControl.Failure(description: failure.description)
        }
    }
}
