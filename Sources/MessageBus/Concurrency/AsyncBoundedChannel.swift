import DequeModule
import Synchronization

/// A bounded multi-producer, single-consumer channel between tasks: ``send(_:)`` waits while the channel holds
/// `capacity` elements, which is how a fast producer is slowed to the pace of its consumer without memory growing.
package final class AsyncBoundedChannel<Element: Sendable>: Sendable {
    private struct State {
        var buffer: Deque<Element> = []
        var isFinished = false
        var receiver: CheckedContinuation<Element?, Never>?
        var senders: Deque<(Element, CheckedContinuation<Bool, Never>)> = []
    }

    private let capacity: Int
    private let state = Mutex(State())

    package init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    private enum SendStep {
        case handedToReceiver(CheckedContinuation<Element?, Never>)
        case buffered
        case finished
        case mustWait
    }

    private enum ReceiveStep {
        case element(Element, CheckedContinuation<Bool, Never>?)
        case finished
        case mustWait
    }

    /// Adds `element`, waiting while the channel is full. Returns `false` (dropping it) once the channel is finished.
    @discardableResult
    package func send(_ element: Element) async -> Bool {
        switch self.offer(element, waiting: nil) {
        case .handedToReceiver(let receiver):
            receiver.resume(returning: element)
            return true
        case .buffered:
            return true
        case .finished:
            return false
        case .mustWait:
            return await withCheckedContinuation { continuation in
                // Looked at again under the lock: the receiver may have drained the channel and begun to wait
                // since the first look, and the element is then its own, not the buffer's (where it would sit
                // unseen, to be overtaken by the next send).
                switch self.offer(element, waiting: continuation) {
                case .handedToReceiver(let receiver):
                    receiver.resume(returning: element)
                    continuation.resume(returning: true)
                case .buffered:
                    continuation.resume(returning: true)
                case .finished:
                    continuation.resume(returning: false)
                case .mustWait:
                    break
                }
            }
        }
    }

    /// Hands `element` to the waiting receiver or buffers it; when the channel is full, queues `sender` (if given)
    /// with it.
    private func offer(_ element: Element, waiting sender: CheckedContinuation<Bool, Never>?) -> SendStep {
        self.state.withLock { state in
            if state.isFinished { return .finished }
            if let receiver = state.receiver {
                state.receiver = nil
                return .handedToReceiver(receiver)
            }
            if state.buffer.count < self.capacity {
                state.buffer.append(element)
                return .buffered
            }
            if let sender { state.senders.append((element, sender)) }
            return .mustWait
        }
    }

    /// The next element, waiting for one; `nil` once the channel is finished and empty.
    package func receive() async -> Element? {
        let step: ReceiveStep = self.state.withLock { state in
            if let element = state.buffer.popFirst() {
                let admitted = state.senders.popFirst()
                if let (waiting, _) = admitted { state.buffer.append(waiting) }
                return .element(element, admitted?.1)
            }
            return state.isFinished ? .finished : .mustWait
        }
        switch step {
        case .element(let element, let admittedSender):
            admittedSender?.resume(returning: true)
            return element
        case .finished:
            return nil
        case .mustWait:
            return await withCheckedContinuation { continuation in
                let immediate: (Element?, CheckedContinuation<Bool, Never>?)? = self.state.withLock { state in
                    if let element = state.buffer.popFirst() {
                        let admitted = state.senders.popFirst()
                        if let (waiting, _) = admitted { state.buffer.append(waiting) }
                        return (element, admitted?.1)
                    }
                    if state.isFinished { return (nil, nil) }
                    state.receiver = continuation
                    return nil
                }
                if let (element, admittedSender) = immediate {
                    admittedSender?.resume(returning: true)
                    continuation.resume(returning: element)
                }
            }
        }
    }

    /// Ends the channel: waiting senders are refused, the receiver drains what is buffered and then gets `nil`.
    package func finish() {
        let (receiver, senders) = self.state.withLock { state in
            state.isFinished = true
            let receiver = state.buffer.isEmpty ? state.receiver : nil
            if receiver != nil { state.receiver = nil }
            let senders = state.senders
            state.senders.removeAll()
            return (receiver, senders)
        }
        receiver?.resume(returning: nil)
        for (_, sender) in senders { sender.resume(returning: false) }
    }
}
