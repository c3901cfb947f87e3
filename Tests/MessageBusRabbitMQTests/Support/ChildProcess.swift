import MessageBusIntegrationSupport
import Foundation

/// Runs a program to completion with a hard time bound, through `posix_spawn` and `waitpid`.
///
/// Foundation's `Process` was seen never to notice the exit of `rabbitmq-test-node.sh` (its child stayed a
/// zombie and `isRunning` stayed `true`), which hung the test past its time limit; waiting on the PID
/// directly cannot miss the exit. Blocks: call it from `onDedicatedThread`.
enum ChildProcess {
    struct Outcome {
        var status: Int32
        var output: String
    }

    /// Runs `executable` with `arguments`, its output (standard output and error) going to a temporary file.
    /// After `timeout` the program gets SIGTERM, and SIGKILL two seconds later, and this throws.
    static func run(_ executable: String, _ arguments: [String], timeout: Duration) throws -> Outcome {
        let outputPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("messagebus-child-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else {
            throw BrokerControl.Failure(description: "cannot run \(executable): \(String(cString: strerror(spawned)))")
        }
        let deadline = ContinuousClock.now + timeout
        var status: Int32 = 0
        var timedOut = false
        while waitpid(pid, &status, WNOHANG) == 0 {
            if ContinuousClock.now >= deadline, !timedOut {
                timedOut = true
                kill(pid, SIGTERM)
            } else if timedOut, ContinuousClock.now >= deadline + .seconds(2) {
                kill(pid, SIGKILL)
            }
            usleep(50_000)
        }
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        if timedOut {
            throw BrokerControl.Failure(description: "\(executable) \(arguments) did not end within \(timeout): \(output)")
        }
        // The exit code, as WEXITSTATUS would give it (a macro Swift does not import); 128+n for a signal.
        let exitCode = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Outcome(status: exitCode, output: output)
    }
}
