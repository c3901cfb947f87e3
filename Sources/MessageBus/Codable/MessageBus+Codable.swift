extension MessageBus {
    /// Publishes `value`, encoded by `encoder` (JSON by default), with the encoder's content type.
    ///
    /// - Parameters:
    ///   - value: The value to publish.
    ///   - destination: Where to publish it.
    ///   - key: The partitioning or routing key.
    ///   - headers: Application headers.
    ///   - id: The message id; ``Message/generateID()`` when `nil`.
    ///   - encoder: How to encode the value.
    public func publish<Value: Encodable>(
        _ value: Value,
        to destination: String,
        key: String? = nil,
        headers: MessageHeaders = [:],
        id: String? = nil,
        encoder: some MessagePayloadEncoder = JSONPayloadCoder()
    ) async throws {
        let message = try Message(encoding: value, key: key, headers: headers, id: id, encoder: encoder)
        try await self.publish(message, to: destination)
    }

    /// Consumes `destination`, decoding each payload as a `type` before `handler` sees it.
    ///
    /// A payload that does not decode (or carries another content type) never reaches the handler: it is settled
    /// as `onDecodingFailure` says, dead-lettered with the decoding error as the reason by default. Everything
    /// else is as in ``consume(from:group:options:concurrency:retry:handler:)``.
    public func consume<Value: Decodable & Sendable>(
        _ type: Value.Type,
        from destination: String,
        group: String?,
        options: SubscriptionOptions = SubscriptionOptions(),
        concurrency: Int = 1,
        retry: RetryPolicy = .default,
        decoder: some MessagePayloadDecoder = JSONPayloadCoder(),
        onDecodingFailure: DecodingFailurePolicy = .deadLetter,
        handler: @escaping @Sendable (Value, Delivery) async throws -> Void
    ) async throws {
        let subscription = try await self.subscribe(to: destination, group: group, options: options)
        try await subscription.process(
            type, concurrency: concurrency, retry: retry, decoder: decoder, onDecodingFailure: onDecodingFailure,
            handler: handler)
    }
}

extension Subscription {
    /// Runs `handler` for every delivery whose payload decodes as a `type`; see
    /// ``MessageBus/consume(_:from:group:options:concurrency:retry:decoder:onDecodingFailure:handler:)``.
    public func process<Value: Decodable & Sendable>(
        _ type: Value.Type,
        concurrency: Int = 1,
        retry: RetryPolicy = .default,
        decoder: some MessagePayloadDecoder = JSONPayloadCoder(),
        onDecodingFailure: DecodingFailurePolicy = .deadLetter,
        handler: @escaping @Sendable (Value, Delivery) async throws -> Void
    ) async throws {
        try await self.process(concurrency: concurrency, retry: retry) { delivery in
            let value: Value
            do {
                value = try delivery.decode(Value.self, using: decoder)
            } catch let error as MessageBusError {
                try await delivery.settle(as: onDecodingFailure.outcome(for: error))
                return
            }
            try await handler(value, delivery)
        }
    }
}

/// What happens to a delivery whose payload does not decode.
public enum DecodingFailurePolicy: Sendable, Hashable {
    /// Move it to the dead-letter destination with the decoding error as the reason (the default): retrying would
    /// fail the same way.
    case deadLetter
    /// Drop it.
    case discard

    func outcome(for error: MessageBusError) -> DeliveryOutcome {
        switch self {
        case .deadLetter: .deadLetter(reason: error.message)
        case .discard: .discard
        }
    }
}
