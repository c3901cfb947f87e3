import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process started with `posix_spawn`, its standard streams on files, and reaped with `waitpid`.
///
/// Not Foundation's `Process`: on Linux (Swift 6.3.1) `Process.run()` now and then crashes the whole test process
/// in a 256-byte copy past the end of a `/proc/self/fd` directory entry (swift-corelibs-foundation pull request
/// 5472; seen here in CI), and it was seen never to notice a child's exit.
package final class SpawnedProcess: Sendable {
    /// The child's process id.
    package let pid: Int32
    private let command: String
    /// The exit status once reaped: `waitpid` answers once, so it is kept.
    private let reaped = Mutex<Int32?>(nil)

    /// Starts `executable` (a path) with `arguments`.
    ///
    /// - Parameters:
    ///   - input: The file standard input reads; `/dev/null` when `nil`.
    ///   - output: The file standard output writes (created, and truncated unless `appending`).
    ///   - errors: The file standard error writes; the output file when `nil`.
    ///   - appending: Whether output goes to the end of what `output` holds (a log several runs share).
    package init(
        _ executable: String, _ arguments: [String], input: String? = nil, output: String, errors: String? = nil,
        appending: Bool = false
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, input ?? "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(
            &actions, 1, output, O_WRONLY | O_CREAT | (appending ? O_APPEND : O_TRUNC), 0o600)
        if let errors {
            posix_spawn_file_actions_addopen(&actions, 2, errors, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        self.command = ([executable] + arguments).joined(separator: " ")
        guard spawned == 0 else {
            throw SpawnedProcessFailure(
                description: "cannot run \(self.command): \(String(cString: strerror(spawned)))")
        }
        self.pid = pid
    }

    deinit {
        if self.exitStatus == nil {
            kill(self.pid, SIGKILL)
            _ = self.exitStatusBlocking(within: .seconds(10))
        }
    }

    /// The exit code once the process ended (128 + n when signal n ended it), `nil` while it runs.
    package var exitStatus: Int32? {
        self.reaped.withLock { reaped in
            if let reaped { return reaped }
            var status: Int32 = 0
            guard waitpid(self.pid, &status, WNOHANG) == self.pid else { return nil }
            // What WEXITSTATUS and WTERMSIG give (macros Swift does not import).
            reaped = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            return reaped
        }
    }

    /// Whether the process still runs.
    package var isRunning: Bool { self.exitStatus == nil }

    /// Sends `signal` to the process, unless it has already ended.
    package func send(_ signal: Int32) {
        self.reaped.withLock { reaped in
            if reaped == nil { _ = kill(self.pid, signal) }
        }
    }

    /// Waits for the process to end and returns its exit code; after `limit` it gets SIGTERM, SIGKILL two seconds
    /// later, and this throws.
    package func waitForExit(limit: Duration) async throws -> Int32 {
        if let status = await self.exitStatus(within: limit) { return status }
        await self.terminate(grace: .seconds(2))
        throw SpawnedProcessFailure(description: "\(self.command) did not end within \(limit)")
    }

    /// The exit code once the process has ended, or `nil` if it still runs after `limit`.
    package func exitStatus(within limit: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + limit
        while true {
            if let status = self.exitStatus { return status }
            if ContinuousClock.now >= deadline { return nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// SIGTERM, then SIGKILL after `grace`; returns once the process has ended.
    package func terminate(grace: Duration = .seconds(5)) async {
        self.send(SIGTERM)
        if await self.exitStatus(within: grace) == nil {
            self.send(SIGKILL)
            _ = await self.exitStatus(within: .seconds(10))
        }
    }

    /// ``exitStatus(within:)`` blocking the calling thread, for code that runs on a dedicated thread.
    package func exitStatusBlocking(within limit: Duration) -> Int32? {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let status = self.exitStatus { return status }
            usleep(20_000)
        }
        return nil
    }

    /// ``terminate(grace:)`` with a two-second grace, blocking the calling thread.
    private func terminateBlocking() {
        self.send(SIGTERM)
        if self.exitStatusBlocking(within: .seconds(2)) == nil {
            self.send(SIGKILL)
            _ = self.exitStatusBlocking(within: .seconds(10))
        }
    }

    /// Runs `executable` to its end on the calling thread, standard output and error into one text; after `limit`
    /// it is stopped (SIGTERM, then SIGKILL) and this throws with what it printed.
    package static func run(_ executable: String, _ arguments: [String], limit: Duration) throws -> (
        status: Int32, output: String
    ) {
        let outputPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("messagebus-child-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let process = try SpawnedProcess(executable, arguments, output: outputPath)
        let status = process.exitStatusBlocking(within: limit)
        if status == nil { process.terminateBlocking() }
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        guard let status else {
            throw SpawnedProcessFailure(description: "\(process.command) did not end within \(limit): \(output)")
        }
        return (status, output)
    }
}

/// A child process could not be started, or did not end in time.
package struct SpawnedProcessFailure: Error, CustomStringConvertible {
    package var description: String

    package init(description: String) {
        self.description = description
    }
}
