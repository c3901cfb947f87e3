/// How a ``Message`` holds its ``Message/id``: an id in a UUID's canonical text form as its 128 bits, any other id
/// as the string it is.
///
/// Every message has an id, and nearly every id is a UUID (``Message/generateID()``'s, Foundation's, most other
/// clients'). Held as bits, making a message (with its default id, or decoding one a broker delivered) allocates no
/// string, and sending one formats the id on the stack; the string is made only when ``Message/id`` is read. The text
/// round-trips exactly: a UUID is held as bits only when it is all upper-case or all lower-case hex, and is given
/// back in that case.
package enum MessageIdentifier: Sendable, Hashable {
    /// A UUID in canonical text form (8-4-4-4-12 hex digits), as its bits, and whether its letters are lower-case.
    case uuid(high: UInt64, low: UInt64, lowercase: Bool)
    /// Any other id.
    case text(String)

    /// The length of a UUID's canonical text.
    private static let uuidLength = 36

    /// The identifier whose text is `text`.
    package init(_ text: String) {
        var text = text
        self = text.withUTF8 { Self.uuid(utf8: $0) } ?? .text(text)
    }

    /// The identifier whose text is the UTF-8 `bytes`.
    package init(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        self = Self.uuid(utf8: bytes) ?? .text(String(decoding: bytes, as: UTF8.self))
    }

    /// The id as text.
    package var text: String {
        switch self {
        case .text(let text):
            return text
        case .uuid:
            return String(unsafeUninitializedCapacity: Self.uuidLength) { buffer in
                self.format(into: UnsafeMutableRawBufferPointer(buffer))
            }
        }
    }

    /// Calls `body` with the id's UTF-8 bytes; a UUID is formatted on the stack.
    package func withUTF8<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        switch self {
        case .text(var text):
            return try text.withUTF8(body)
        case .uuid:
            return try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.uuidLength) { buffer in
                let count = self.format(into: UnsafeMutableRawBufferPointer(buffer))
                return try body(UnsafeBufferPointer(rebasing: buffer[..<count]))
            }
        }
    }

    /// The number of UTF-8 bytes of the id's text.
    package var utf8Count: Int {
        switch self {
        case .text(let text): text.utf8.count
        case .uuid: Self.uuidLength
        }
    }

    /// Writes a UUID's text into `buffer` (at least 36 bytes) and returns its length; writes nothing for `.text`.
    private func format(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard case .uuid(let high, let low, let lowercase) = self else { return 0 }
        let letterBase = (lowercase ? UInt8(ascii: "a") : UInt8(ascii: "A")) &- 10
        var index = 0
        for part in 0..<2 {
            let half = part == 0 ? high : low
            var shift = 60
            while shift >= 0 {
                if index == 8 || index == 13 || index == 18 || index == 23 {
                    buffer[index] = UInt8(ascii: "-")
                    index += 1
                }
                let nibble = UInt8(truncatingIfNeeded: half >> UInt64(shift)) & 0xF
                buffer[index] = nibble < 10 ? nibble &+ UInt8(ascii: "0") : nibble &+ letterBase
                index += 1
                shift -= 4
            }
        }
        return index
    }

    /// The UUID whose canonical text `bytes` are, or `nil` when they are anything else (including a UUID whose
    /// letters mix cases, which could not be given back as it came).
    private static func uuid(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Self? {
        guard bytes.count == Self.uuidLength else { return nil }
        var halves: (UInt64, UInt64) = (0, 0)
        var sawUpper = false
        var sawLower = false
        var digits = 0
        for (index, byte) in bytes.enumerated() {
            if index == 8 || index == 13 || index == 18 || index == 23 {
                guard byte == UInt8(ascii: "-") else { return nil }
                continue
            }
            let nibble: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte &- UInt8(ascii: "0")
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = byte &- UInt8(ascii: "A") &+ 10; sawUpper = true
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte &- UInt8(ascii: "a") &+ 10; sawLower = true
            default: return nil
            }
            if digits < 16 {
                halves.0 = halves.0 << 4 | UInt64(nibble)
            } else {
                halves.1 = halves.1 << 4 | UInt64(nibble)
            }
            digits += 1
        }
        guard !(sawUpper && sawLower) else { return nil }
        return .uuid(high: halves.0, low: halves.1, lowercase: sawLower)
    }
}
