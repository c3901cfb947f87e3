import MessageBus

/// A message keeps every property it was published with, whatever its size or alphabet.
enum MessagePropertyCases {
    static let all = [roundTrip, emptyPayload, oneMebibytePayload, nonASCIIHeaders]

    static let roundTrip = ConformanceCase("round trip keeps payload, key, headers, id, content type") { context in
        let bus = try await context.openBus()
        let destination = context.uniqueName("roundtrip")
        let subscription = try await bus.subscribe(
            to: destination, group: "readers", options: SubscriptionOptions(startPosition: .earliest))
        var headers = MessageHeaders()
        headers.append(name: "first", value: "1")
        headers.append(MessageHeader(name: "binary", value: [0, 255, 7, 128]))
        headers.append(name: "last", value: "3")
        let sent = Message(
            payload: Array(0...255), key: "customer-42", headers: headers, id: "id-\(destination)",
            contentType: "application/x-conformance", correlationID: "corr-7")
        try await bus.publish(sent, to: destination)
        let delivery = try await context.receive(1, from: subscription)[0]
        let received = delivery.message
        try check(received.payload == sent.payload, "payload differs: \(received.payload.count) bytes")
        try check(received.key == sent.key, "key \(received.key ?? "nil") != \(sent.key ?? "nil")")
        try check(received.id == sent.id, "id \(received.id) != \(sent.id)")
        try check(received.contentType == sent.contentType, "content type \(received.contentType ?? "nil")")
        try check(received.correlationID == sent.correlationID, "correlation id \(received.correlationID ?? "nil")")
        try checkHeaders(received.headers, contain: headers)
        try check(delivery.attempt == 1, "first delivery has attempt \(delivery.attempt), expected 1")
        try check(delivery.destination == destination, "delivery names destination \(delivery.destination)")
        try await delivery.ack()
    }

    static let emptyPayload = ConformanceCase("empty payload") { context in
        try await roundTripPayload([], context: context, label: "empty")
    }

    static let oneMebibytePayload = ConformanceCase("1 MiB payload") { context in
        let payload = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
        try await roundTripPayload(payload, context: context, label: "mebibyte")
    }

    static let nonASCIIHeaders = ConformanceCase("non-ASCII header names and values") { context in
        let bus = try await context.openBus()
        let destination = context.uniqueName("unicode")
        let subscription = try await bus.subscribe(
            to: destination, group: "readers", options: SubscriptionOptions(startPosition: .earliest))
        let headers: MessageHeaders = ["grüße": "日本語 ✓ émoji 🚀", "ключ": "значение", "plain": "Ωmega"]
        try await bus.publish(Message(text: "héllo wörld ✓", headers: headers), to: destination)
        let delivery = try await context.receive(1, from: subscription)[0]
        try check(delivery.message.text == "héllo wörld ✓", "payload text \(delivery.message.text ?? "nil")")
        try checkHeaders(delivery.message.headers, contain: headers)
        try await delivery.ack()
    }

    private static func roundTripPayload(_ payload: [UInt8], context: ConformanceContext, label: String) async throws {
        let bus = try await context.openBus()
        let destination = context.uniqueName(label)
        let subscription = try await bus.subscribe(
            to: destination, group: "readers", options: SubscriptionOptions(startPosition: .earliest))
        try await bus.publish(Message(payload: payload, key: "k"), to: destination)
        let delivery = try await context.receive(1, from: subscription)[0]
        try check(
            delivery.message.payload == payload,
            "payload of \(payload.count) bytes came back as \(delivery.message.payload.count) different bytes")
        try await delivery.ack()
    }

    /// The published headers appear, in order and with their exact bytes; a backend may add its own around them.
    static func checkHeaders(_ received: MessageHeaders, contain expected: MessageHeaders) throws {
        let names = Set(expected.map(\.name))
        let relevant = received.filter { names.contains($0.name) }
        try check(
            Array(relevant) == Array(expected),
            "headers \(relevant.map { "\($0.name)=\($0.stringValue ?? "\($0.value)")" }) != "
                + "\(expected.map { "\($0.name)=\($0.stringValue ?? "\($0.value)")" })")
    }
}
