/// The topology a connection declared, in declaration order, so that recovery can declare it again on a new
/// connection exactly as the application (and the subscriptions) left it.
///
/// A value type touched by the owner thread only, unit-tested alone. Deletes forget what they deleted, bindings
/// included, so recovery never resurrects a queue or exchange the application removed.
struct RecordedTopology: Sendable {
    enum Entry: Sendable, Hashable {
        /// A MessageBus destination: a durable topic exchange.
        case destination(String)
        /// A subscriber group's queue, bound to its destination with `#`.
        case groupQueue(queue: String, destination: String)
        /// An exchange the application declared.
        case exchange(RabbitMQExchange)
        /// A named queue the application declared.
        case queue(RabbitMQQueue)
        /// A binding the application made.
        case binding(RabbitMQBinding)

        /// What identifies the entry: a second declaration of the same thing replaces the first in place.
        var identity: Identity {
            switch self {
            case .destination(let name): .exchange(name)
            case .exchange(let exchange): .exchange(exchange.name)
            case .groupQueue(let queue, _): .queue(queue)
            case .queue(let queue): .queue(queue.name)
            case .binding(let binding): .binding(binding)
            }
        }
    }

    enum Identity: Hashable {
        case exchange(String)
        case queue(String)
        case binding(RabbitMQBinding)
    }

    private(set) var entries: [Entry] = []
    /// Queues the broker named: they die with their connection, so bindings to them are not recorded either.
    private var serverNamedQueues: Set<String> = []

    /// Notes a queue the broker named, so that bindings to it are not replayed on a connection where it is gone.
    mutating func noteServerNamed(_ queue: String) {
        self.serverNamedQueues.insert(queue)
    }

    /// Records a successful declaration or binding; a repeat keeps the original position (so that what it depends
    /// on, declared before it, is still declared first on replay).
    mutating func record(_ entry: Entry) {
        if case .queue(let queue) = entry, queue.name.isEmpty { return }  // server-named: dies with the connection
        if case .binding(let binding) = entry, case .queue(let queue) = binding.target,
            self.serverNamedQueues.contains(queue)
        {
            return
        }
        if let index = self.entries.firstIndex(where: { $0.identity == entry.identity }) {
            self.entries[index] = entry
        } else {
            self.entries.append(entry)
        }
    }

    /// Forgets a deleted exchange and every binding from or to it.
    mutating func forgetExchange(_ name: String) {
        self.entries.removeAll { entry in
            switch entry {
            case .destination(let destination): destination == name
            case .exchange(let exchange): exchange.name == name
            case .groupQueue(_, let destination): destination == name
            case .binding(let binding): binding.exchange == name || binding.target == .exchange(name)
            case .queue: false
            }
        }
    }

    /// Forgets a deleted queue and every binding to it.
    mutating func forgetQueue(_ name: String) {
        self.entries.removeAll { entry in
            switch entry {
            case .groupQueue(let queue, _): queue == name
            case .queue(let queue): queue.name == name
            case .binding(let binding): binding.target == .queue(name)
            case .destination, .exchange: false
            }
        }
    }

    /// Forgets an unbound binding.
    mutating func forget(_ binding: RabbitMQBinding) {
        self.entries.removeAll { $0 == .binding(binding) }
    }

    /// Whether `name` was declared as an exchange (by a destination or the topology API).
    func hasExchange(_ name: String) -> Bool {
        self.entries.contains { entry in
            switch entry {
            case .destination(let destination): destination == name
            case .exchange(let exchange): exchange.name == name
            default: false
            }
        }
    }
}
