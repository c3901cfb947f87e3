/// Checks `condition` every `step` until it holds or `limit` has passed, and returns whether it held.
///
/// The cases that wait for a background consumer use it, then stop that consumer and let their own ``check(_:_:)``
/// calls name what is missing; so a timeout here is not an error of its own. (The test-support `eventually`, which
/// throws, is not visible to this shipped module.)
@discardableResult
func waitUntil(within limit: Duration, every step: Duration = .milliseconds(20), _ condition: () -> Bool)
    async throws -> Bool
{
    let clock = ContinuousClock()
    let deadline = clock.now + limit
    while !condition() {
        guard clock.now < deadline else { return false }
        try await Task.sleep(for: step)
    }
    return true
}
