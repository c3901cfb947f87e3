#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A program the harness starts (a private Tansu, a test RabbitMQ node's script, a child consumer), its output
/// appended to a log file. Waiting polls `waitpid` with `WNOHANG` between sleeps, so it never blocks a thread.
struct ChaosProcess: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let pid: pid_t
    let command: String
    let log: String

    /// Starts `executable` with `arguments`; standard output and error go to `log`.
    static func spawn(_ executable: String, _ arguments: [String], log: String) throws -> ChaosProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard status == 0 else {
            throw Failure(description: "cannot start \(executable): \(String(cString: strerror(status)))")
        }
        return ChaosProcess(pid: pid, command: ([executable] + arguments).joined(separator: " "), log: log)
    }

    /// Runs `executable` to its end within `limit` and returns its output; throws when it fails or overruns.
    static func run(_ executable: String, _ arguments: [String], limit: Duration) async throws -> String {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("chaos-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let process = try self.spawn(executable, arguments, log: log)
        let status = await process.exitStatus(within: limit)
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        guard let status else {
            process.signal(SIGKILL)
            _ = await process.exitStatus(within: .seconds(5))
            throw Failure(description: "\(process.command) did not end within \(limit): \(output)")
        }
        guard status == 0 else { throw Failure(description: "\(process.command) failed (\(status)): \(output)") }
        return output
    }

    func signal(_ signal: Int32) {
        kill(self.pid, signal)
    }

    /// The exit code (128 + n after signal n) once the process has ended, or `nil` if it still runs after `limit`.
    func exitStatus(within limit: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + limit
        var status: Int32 = 0
        while true {
            let result = waitpid(self.pid, &status, WNOHANG)
            if result == self.pid || result < 0 {
                return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            }
            if ContinuousClock.now >= deadline { return nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// SIGTERM, then SIGKILL after `grace`; returns once the process has ended.
    func terminate(grace: Duration = .seconds(5)) async {
        self.signal(SIGTERM)
        if await self.exitStatus(within: grace) == nil {
            self.signal(SIGKILL)
            _ = await self.exitStatus(within: .seconds(10))
        }
    }
}
