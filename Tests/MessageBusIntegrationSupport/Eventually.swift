/// Checks `condition` every `pollEvery` until it holds, for at most `timeout`; throws ``EventuallyTimedOut`` naming
/// `what` was awaited (and where) when it never did. Replaces the hand-written
/// `while !condition, ContinuousClock.now < deadline { sleep }` loops, which fell through silently at the deadline.
///
/// `condition` may do work of its own (receive a batch and count it), so that a loop that consumes until it has
/// seen enough is written the same way; `pollEvery` is then the pause between two attempts (`.zero`: none).
///
/// - Parameters:
///   - what: What is awaited, for the error ("5 unacknowledged messages"); evaluated only on a timeout, so it
///     can describe the state reached ("15 messages, saw \(seen.count)").
///   - timeout: How long to keep checking.
///   - pollEvery: The pause between two checks.
///   - condition: Whether the awaited state is reached; an error it throws ends the wait and is rethrown.
package func eventually(
    _ what: @autoclosure () -> String,
    timeout: Duration,
    pollEvery: Duration = .milliseconds(20),
    fileID: String = #fileID,
    line: Int = #line,
    _ condition: () async throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    var checks = 0
    while true {
        checks += 1
        if try await condition() { return }
        guard clock.now < deadline else {
            throw EventuallyTimedOut(what: what(), timeout: timeout, checks: checks, location: "\(fileID):\(line)")
        }
        if pollEvery > .zero { try await Task.sleep(for: pollEvery) }
    }
}

/// ``eventually(_:timeout:pollEvery:fileID:line:_:)`` gave up: what it awaited never came.
package struct EventuallyTimedOut: Error, CustomStringConvertible {
    /// What was awaited.
    package var what: String
    /// How long it was awaited.
    package var timeout: Duration
    /// How many times the condition was checked.
    package var checks: Int
    /// The `file:line` of the wait.
    package var location: String

    package var description: String {
        "timed out after \(self.timeout) waiting for \(self.what) (\(self.checks) checks, at \(self.location))"
    }
}
