/// One message header: a string name and a byte value.
///
/// Header values are bytes on every backend (Kafka record headers are bytes, AMQP long strings are bytes), so a
/// value written as a string comes back as the same UTF-8 bytes; ``stringValue`` reads it back as text.
public struct MessageHeader: Sendable, Hashable {
    /// The header's name.
    public var name: String
    /// The header's value as raw bytes.
    public var value: [UInt8]

    /// Creates a header with a byte value.
    public init(name: String, value: [UInt8]) {
        self.name = name
        self.value = value
    }

    /// Creates a header with a string value, stored as its UTF-8 bytes.
    public init(name: String, value: String) {
        self.name = name
        self.value = Array(value.utf8)
    }

    /// The value decoded as UTF-8, or `nil` when the bytes are not valid UTF-8.
    public var stringValue: String? {
        String(validating: self.value, as: UTF8.self)
    }
}

/// The ordered headers of a message.
///
/// Order is preserved end to end and names may repeat (Kafka allows it); lookups by name return the last value,
/// which is what a backend without repeated names (AMQP tables) keeps.
public struct MessageHeaders: Sendable, Hashable, RandomAccessCollection, ExpressibleByDictionaryLiteral {
    private var storage: [MessageHeader]

    /// Creates headers from a list, keeping its order.
    public init(_ headers: [MessageHeader] = []) {
        self.storage = headers
    }

    /// Creates string-valued headers from a literal, keeping its order.
    public init(dictionaryLiteral elements: (String, String)...) {
        self.storage = elements.map { MessageHeader(name: $0.0, value: $0.1) }
    }

    /// The position of the first header.
    public var startIndex: Int { self.storage.startIndex }
    /// The position after the last header.
    public var endIndex: Int { self.storage.endIndex }
    /// The header at `position`.
    public subscript(position: Int) -> MessageHeader { self.storage[position] }

    /// The last value stored under `name` as bytes, or `nil`.
    public func bytes(forName name: String) -> [UInt8]? {
        self.storage.last(where: { $0.name == name })?.value
    }

    /// The last value stored under `name` as a UTF-8 string, or `nil`.
    ///
    /// Assigning replaces every header of that name with one (or removes them all when set to `nil`).
    public subscript(name: String) -> String? {
        get { self.storage.last(where: { $0.name == name })?.stringValue }
        set {
            if let newValue {
                self.replaceAll(named: name, with: Array(newValue.utf8))
            } else {
                self.storage.removeAll { $0.name == name }
            }
        }
    }

    /// Appends a header, keeping any earlier header of the same name.
    public mutating func append(_ header: MessageHeader) {
        self.storage.append(header)
    }

    /// Appends a string-valued header, keeping any earlier header of the same name.
    public mutating func append(name: String, value: String) {
        self.storage.append(MessageHeader(name: name, value: value))
    }

    /// Replaces every header named `name` with a single one holding `value`, at the position of the first.
    public mutating func replaceAll(named name: String, with value: [UInt8]) {
        if let first = self.storage.firstIndex(where: { $0.name == name }) {
            self.storage[first].value = value
            var index = self.storage.index(after: first)
            while index < self.storage.endIndex {
                if self.storage[index].name == name {
                    self.storage.remove(at: index)
                } else {
                    index = self.storage.index(after: index)
                }
            }
        } else {
            self.storage.append(MessageHeader(name: name, value: value))
        }
    }

    /// Removes every header named `name`.
    public mutating func removeAll(named name: String) {
        self.storage.removeAll { $0.name == name }
    }
}
