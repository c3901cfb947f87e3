import Synchronization

/// The process's in-memory brokers, by name: every `memory://NAME` opened in one process shares one broker, so
/// two buses (a publisher and a consumer, or a consumer before and after a restart) see the same messages.
/// Brokers live as long as the process.
enum InMemoryBrokerRegistry {
    private static let brokers = Mutex<[String: InMemoryBroker]>([:])

    /// The broker named `name`, created with `retention` if it does not exist yet.
    static func broker(named name: String, retention: Int) -> InMemoryBroker {
        self.brokers.withLock { brokers in
            if let existing = brokers[name] { return existing }
            let created = InMemoryBroker(name: name, retention: retention)
            brokers[name] = created
            return created
        }
    }
}
