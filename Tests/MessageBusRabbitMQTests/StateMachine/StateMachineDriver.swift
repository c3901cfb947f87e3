import MessageBus
@testable import MessageBusRabbitMQ
import Synchronization

/// What the caller of one publish, flush or close was resumed with, in order (a second entry is a bug).
final class RecordedOutcome: Sendable {
    private let results = Mutex<[Result<Void, MessageBusError>]>([])

    func record(_ result: Result<Void, MessageBusError>) {
        self.results.withLock { $0.append(result) }
    }

    var all: [Result<Void, MessageBusError>] { self.results.withLock { $0 } }

    /// Whether the caller was resumed exactly once, with success.
    var succeeded: Bool {
        guard self.all.count == 1, case .success = self.all[0] else { return false }
        return true
    }

    /// The error the caller was resumed with, when it was resumed exactly once with a failure.
    var failure: MessageBusError? {
        guard self.all.count == 1, case .failure(let error) = self.all[0] else { return nil }
        return error
    }

    var isPending: Bool { self.all.isEmpty }
}

/// Drives an ``AMQPConnectionStateMachine`` the way ``AMQPConnectionOwner`` does, but performs its actions into
/// logs instead of a socket: the message ids written, in order, and the events emitted.
struct StateMachineDriver {
    var machine: AMQPConnectionStateMachine
    /// The ids of the messages written, in order (republished ones again).
    var written: [String] = []
    var events: [RabbitMQConnectionEvent] = []
    /// Commands the machine gave up on (``AMQPConnectionStateMachine/Action/failCommand(_:_:)``).
    var failedCommands: [ConnectionCommand] = []
    /// The instant tests count from; the machine never reads the clock.
    let start = ContinuousClock.now

    init(confirmWindow: Int = 4, publishTimeout: Duration = .seconds(5), recovers: Bool = true) {
        self.machine = AMQPConnectionStateMachine(settings: .init(
            confirmWindow: confirmWindow, publishTimeout: publishTimeout, recoversConnection: recovers))
        self.machine.connectionOpened()
    }

    /// `seconds` after ``start``.
    func at(_ seconds: Double) -> ContinuousClock.Instant {
        self.start + .milliseconds(Int(seconds * 1000))
    }

    /// A publish of messages with these ids (awaited unless `awaited` is false, as `send` is), and its outcome.
    func request(
        _ ids: [String], exchange: String = "orders", key: String? = nil, mandatory: Bool = false,
        awaited: Bool = true, expectsReply: Bool = false, deadlineAfter seconds: Double = 5
    ) -> (PublishRequest, RecordedOutcome) {
        let outcome = RecordedOutcome()
        let completion: (@Sendable (Result<Void, MessageBusError>) -> Void)? =
            awaited ? { @Sendable result in outcome.record(result) } : nil
        let messages = ids.map { id in Message(text: "body of \(id)", key: key, id: id) }
        let request = PublishRequest(
            exchange: exchange, messages: messages, deadline: self.at(seconds), mandatory: mandatory, properties: nil,
            expectsReply: expectsReply, completion: completion)
        return (request, outcome)
    }

    /// A flush command and its outcome.
    func flushCommand() -> (ConnectionCommand, RecordedOutcome) {
        let outcome = RecordedOutcome()
        return (.flush({ outcome.record($0) }), outcome)
    }

    /// Hands commands to the machine as the owner's turn does: takes them as the queue's lane (only when the
    /// machine takes publishes; returns whether it did), then runs the lane while it can.
    @discardableResult
    mutating func submit(_ commands: [ConnectionCommand], now: Double = 0) -> Bool {
        guard self.machine.takesPublishes else { return false }
        self.machine.enqueue(commands)
        self.runLane(now: now)
        return true
    }

    /// Runs the lane's publishes and flushes while the machine lets them run, admitting each publish.
    mutating func runLane(now: Double = 0) {
        var actions: [AMQPConnectionStateMachine.Action] = []
        while let next = self.machine.nextPublish(now: self.at(now), into: &actions) {
            guard let request = next.publishRequest, self.machine.shouldWrite(request) else { continue }
            self.machine.admit(request, into: &actions)
        }
        self.perform(actions)
    }

    /// Runs `event` against the machine and performs the actions it returned.
    mutating func handle(_ event: (inout AMQPConnectionStateMachine, inout [AMQPConnectionStateMachine.Action]) -> Void) {
        var actions: [AMQPConnectionStateMachine.Action] = []
        event(&self.machine, &actions)
        self.perform(actions)
    }

    mutating func ack(_ tag: UInt64, multiple: Bool = false) {
        self.handle { $0.confirm(upTo: tag, multiple: multiple, ok: true, into: &$1) }
    }

    mutating func nack(_ tag: UInt64, multiple: Bool = false) {
        self.handle { $0.confirm(upTo: tag, multiple: multiple, ok: false, into: &$1) }
    }

    /// A `basic.return` (312 NO_ROUTE) of message `id` published with routing key "k"; whether it matched.
    mutating func returned(_ id: String, exchange: String = "orders") -> Bool {
        self.machine.noteReturn(
            exchange: exchange, routingKey: "k", messageID: id, replyCode: 312, replyText: "NO_ROUTE")
    }

    mutating func tick(at seconds: Double) {
        let now = self.at(seconds)
        self.handle { $0.expireDeadlines(now: now, into: &$1) }
    }

    /// Loses the connection and, when recovery goes on, reconnects and republishes; returns the machine's decision.
    @discardableResult
    mutating func loseConnection(reconnecting: Bool = true) -> AMQPConnectionStateMachine.AfterLoss {
        var actions: [AMQPConnectionStateMachine.Action] = []
        let lost = MessageBusError(.connectionFailed, "reply lost")
        let decision = self.machine.connectionLost(reason: "test cut", replyLost: lost, into: &actions)
        self.perform(actions)
        if reconnecting, case .recover = decision { self.reconnect() }
        return decision
    }

    mutating func reconnect() {
        self.machine.connectionOpened()
        self.handle { $0.republishUnconfirmed(into: &$1) }
    }

    private mutating func perform(_ actions: [AMQPConnectionStateMachine.Action]) {
        for action in actions {
            switch action {
            case .write(let request):
                self.written += request.messages.map(\.id)
            case .rewriteWindow:
                self.written += self.machine.window.elements.map { $0.request.messages[$0.index].id }
            case .complete(let request, let result):
                request.resumeCaller(with: result)
            case .resume(let completion, let result):
                completion(result)
            case .failCommand(let command, let error):
                self.failedCommands.append(command)
                command.fail(error)
            case .emit(let event):
                self.events.append(event)
            case .endSubscription(let inbox, let error):
                inbox.end(error: error)
            }
        }
    }
}
