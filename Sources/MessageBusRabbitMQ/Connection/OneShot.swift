import MessageBus

/// The connection owner's name for the core's one-shot (a result produced once on the owner thread and awaited by
/// callers); see ``MessageBus/AsyncOneShot``.
typealias OneShot<Value: Sendable> = AsyncOneShot<Value>
