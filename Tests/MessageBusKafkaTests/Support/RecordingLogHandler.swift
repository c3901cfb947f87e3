import Logging
import Synchronization

/// A swift-log handler that keeps what it is given, to check what a function logged.
struct RecordingLogHandler: LogHandler {
    /// One logged message.
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
    }

    /// Where entries go; shared by every copy of the handler.
    final class Store: Sendable {
        private let entries = Mutex<[Entry]>([])
        var all: [Entry] { entries.withLock { $0 } }
        func append(_ entry: Entry) { entries.withLock { $0.append(entry) } }
    }

    let store: Store
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        store.append(Entry(
            level: event.level,
            message: event.message.description,
            metadata: metadata.merging(event.metadata ?? [:]) { _, new in new }
        ))
    }

    /// A logger that records into a new store, and that store.
    static func logger() -> (Logger, Store) {
        let store = Store()
        return (Logger(label: "messagebus.test") { _ in RecordingLogHandler(store: store) }, store)
    }
}
