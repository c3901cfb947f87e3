/// Remembers the ids of messages a group has processed, for the effectively-once guarantee.
///
/// Implement it over a shared store (Redis, a database table) when several processes consume one group and
/// duplicates must be caught across them; ``InMemoryDeduplicationStore`` covers one process. A store should be
/// bounded: it only needs to remember ids as long as a duplicate can still arrive.
public protocol DeduplicationStore: Sendable {
    /// Whether `key` was inserted and not yet evicted.
    func contains(_ key: String) async -> Bool
    /// Remembers `key`.
    func insert(_ key: String) async
}
