public import Instrumentation

extension MessageHeaders {
    /// Writes `context` into the headers with the process's bootstrapped instrument (swift-distributed-tracing),
    /// for example as W3C `traceparent`.
    ///
    /// Backends call this on every message they publish, so a consumer's handler runs in its publisher's trace.
    public mutating func injectTraceContext(_ context: ServiceContext) {
        InstrumentationSystem.instrument.inject(context, into: &self, using: MessageHeadersInjector())
    }

    /// Writes the current task's trace context, if it has one.
    public mutating func injectCurrentTraceContext() {
        guard let context = ServiceContext.current else { return }
        self.injectTraceContext(context)
    }

    /// Reads the trace context a publisher wrote into the headers; a top-level context when there is none.
    public func extractTraceContext() -> ServiceContext {
        var context = ServiceContext.topLevel
        InstrumentationSystem.instrument.extract(self, into: &context, using: MessageHeadersExtractor())
        return context
    }
}

/// Writes trace context into ``MessageHeaders``.
public struct MessageHeadersInjector: Injector {
    /// Creates an injector.
    public init() {}

    /// Sets header `key` to `value`.
    public func inject(_ value: String, forKey key: String, into carrier: inout MessageHeaders) {
        carrier[key] = value
    }
}

/// Reads trace context from ``MessageHeaders``.
public struct MessageHeadersExtractor: Extractor {
    /// Creates an extractor.
    public init() {}

    /// The string value of header `key`.
    public func extract(key: String, from carrier: MessageHeaders) -> String? {
        carrier[key]
    }
}

extension Message {
    /// The message with the current task's trace context written into its headers: what every backend publishes.
    /// Without a trace context (the common case) the same message.
    package func withCurrentTraceContext() -> Message {
        guard let context = ServiceContext.current else { return self }
        var message = self
        message.headers.injectTraceContext(context)
        return message
    }
}

extension Array where Element == Message {
    /// The messages with the current task's trace context written into their headers: what every backend
    /// publishes. Without a trace context (the common case) the same array, with no message copied.
    package func withCurrentTraceContext() -> [Message] {
        guard let context = ServiceContext.current else { return self }
        return self.map { message in
            var message = message
            message.headers.injectTraceContext(context)
            return message
        }
    }
}
