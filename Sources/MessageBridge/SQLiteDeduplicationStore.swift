import GRDB
public import Logging
public import MessageBus

/// A persistent ``/MessageBus/DeduplicationStore`` in an SQLite file: the ids it remembers survive a restart.
///
/// ``MessageBridge`` keeps the ids of the messages it copied here, so that a bridge restarted after a crash skips
/// what it already published. It is also a store for consumers under
/// ``/MessageBus/DeliveryGuarantee/effectivelyOnce(deduplicatingWith:)`` whose de-duplication must outlive the
/// process: `.effectivelyOnce(deduplicatingWith: try SQLiteDeduplicationStore(path: "orders.sqlite"))`.
///
/// SQLite calls block, so every access runs on GRDB's own serial dispatch queue and the calling task suspends:
/// none runs on a thread of Swift's cooperative pool. The batch methods (``containedKeys(_:)``,
/// ``insert(contentsOf:)``) do their whole batch in one transaction; a bridge calls them once per batch, never once
/// per message. The file is in WAL mode with `synchronous=NORMAL`: a committed batch survives the process being
/// killed (a power cut may lose the last ones).
public final class SQLiteDeduplicationStore: DeduplicationStore {
    /// Where the store lives: its path, or `:memory:`.
    public let path: String
    /// The most ids kept: the oldest are forgotten beyond it. `nil` keeps every id.
    public let capacity: Int?
    private let database: DatabaseQueue
    private let logger: Logger

    /// Opens (creating it when missing) the store in the SQLite file at `path`.
    ///
    /// - Parameters:
    ///   - path: The file; its directory must exist. `":memory:"` keeps the store in memory (nothing persists).
    ///   - capacity: The most ids kept, oldest forgotten first; `nil` (the default) keeps all of them. A bridge's
    ///     store only needs the ids that can still be redelivered, so a capacity well above the source's backlog
    ///     is safe.
    ///   - logger: Where failures of the non-throwing ``/MessageBus/DeduplicationStore`` methods are logged.
    /// - Throws: ``/MessageBus/MessageBusError/Code/invalidConfiguration`` naming the path when the file cannot be
    ///   opened or is not such a store, or when `capacity` is below 1.
    public init(path: String, capacity: Int? = nil, logger: Logger = Logger(label: "messagebus.bridge.store")) throws {
        if let capacity, capacity < 1 {
            throw MessageBusError.invalidConfiguration(
                key: "capacity", value: String(capacity), expected: "at least 1, or nil to keep every id")
        }
        self.path = path
        self.capacity = capacity
        self.logger = logger
        do {
            var configuration = Configuration()
            configuration.label = "messagebus.bridge.store"
            configuration.prepareDatabase { db in
                // WAL: readers never wait for the writer; NORMAL: a commit survives a killed process.
                if db.configuration.readonly == false, path != ":memory:" {
                    try db.execute(sql: "PRAGMA journal_mode = WAL")
                }
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
            self.database = path == ":memory:"
                ? try DatabaseQueue(configuration: configuration)
                : try DatabaseQueue(path: path, configuration: configuration)
            try self.database.write { db in
                try db.execute(sql: Self.schema)
            }
        } catch {
            throw MessageBusError(
                .invalidConfiguration, "cannot open the de-duplication store '\(path)': \(Self.describe(error))")
        }
    }

    /// The table: ids in the order they were first inserted, so the oldest can be forgotten first.
    private static let schema = """
        CREATE TABLE IF NOT EXISTS messagebus_deduplication (
            sequence INTEGER PRIMARY KEY AUTOINCREMENT,
            key TEXT NOT NULL UNIQUE
        )
        """

    /// SQLite's limit on the variables of one statement is 32,766; batches are split well below it.
    private static let keysPerStatement = 500

    /// Which of `keys` the store remembers, in one read transaction.
    ///
    /// - Throws: ``/MessageBus/MessageBusError/Code/brokerError`` naming the store when SQLite fails.
    public func containedKeys(_ keys: some Collection<String> & Sendable) async throws -> Set<String> {
        guard !keys.isEmpty else { return [] }
        let keys = Array(keys)
        return try await self.access("read") { database in
            try await database.read { db in
                var found = Set<String>()
                for start in stride(from: 0, to: keys.count, by: Self.keysPerStatement) {
                    let chunk = keys[start..<min(start + Self.keysPerStatement, keys.count)]
                    let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                    let rows = try String.fetchAll(
                        db, sql: "SELECT key FROM messagebus_deduplication WHERE key IN (\(placeholders))",
                        arguments: StatementArguments(Array(chunk)))
                    found.formUnion(rows)
                }
                return found
            }
        }
    }

    /// Remembers every key of `keys` in one transaction (keys already remembered stay where they were), then
    /// forgets the oldest beyond ``capacity``.
    ///
    /// - Throws: ``/MessageBus/MessageBusError/Code/brokerError`` naming the store when SQLite fails; then none of
    ///   the keys was remembered.
    public func insert(contentsOf keys: some Collection<String> & Sendable) async throws {
        guard !keys.isEmpty else { return }
        let keys = Array(keys)
        let capacity = self.capacity
        try await self.access("write") { database in
            try await database.write { db in
                let statement = try db.cachedStatement(
                    sql: "INSERT OR IGNORE INTO messagebus_deduplication (key) VALUES (?)")
                for key in keys {
                    try statement.execute(arguments: [key])
                }
                if let capacity {
                    try db.execute(
                        sql: """
                            DELETE FROM messagebus_deduplication
                            WHERE sequence <= (SELECT MAX(sequence) FROM messagebus_deduplication) - ?
                            """,
                        arguments: [capacity])
                }
            }
        }
    }

    /// How many ids the store remembers.
    ///
    /// - Throws: ``/MessageBus/MessageBusError/Code/brokerError`` naming the store when SQLite fails.
    public func count() async throws -> Int {
        try await self.access("count") { database in
            try await database.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM messagebus_deduplication") ?? 0
            }
        }
    }

    /// Whether `key` is remembered; `false` (logged) when SQLite fails, so that a failing store lets a message
    /// through rather than lose it.
    public func contains(_ key: String) async -> Bool {
        do {
            return try await !self.containedKeys(CollectionOfOne(key)).isEmpty
        } catch {
            self.logger.warning("de-duplication store read failed", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Remembers `key`; a failure is logged (a duplicate may then get through).
    public func insert(_ key: String) async {
        do {
            try await self.insert(contentsOf: CollectionOfOne(key))
        } catch {
            self.logger.warning("de-duplication store write failed", metadata: ["error": "\(error)"])
        }
    }

    /// Runs `body` against the database, turning SQLite's errors into ``/MessageBus/MessageBusError``.
    private func access<Value: Sendable>(
        _ operation: String, _ body: (DatabaseQueue) async throws -> Value
    ) async throws -> Value {
        do {
            return try await body(self.database)
        } catch let error as CancellationError {
            throw error
        } catch {
            throw MessageBusError(
                .brokerError,
                "de-duplication store '\(self.path)' \(operation) failed: \(Self.describe(error))")
        }
    }

    private static func describe(_ error: any Error) -> String {
        (error as? DatabaseError)?.message ?? "\(error)"
    }
}
