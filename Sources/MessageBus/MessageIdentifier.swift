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
    ///
    /// Not generic: the backends call it once per message sent, and across modules a generic version ran
    /// unspecialized, instantiating its metadata on every call.
    package func withUTF8(_ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        switch self {
        case .text(var text):
            text.withUTF8(body)
        case .uuid:
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.uuidLength) { buffer in
                let count = self.format(into: UnsafeMutableRawBufferPointer(buffer))
                body(UnsafeBufferPointer(rebasing: buffer[..<count]))
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
    ///
    /// Runs for every delivery a backend decodes, so it reads the 32 digits as four 8-byte words and decodes
    /// each word's digits together: a loop over the bytes (about 60-110 ns per id here) cost more than the
    /// string it saves (about 55); this takes about 18.
    private static func uuid(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Self? {
        let dash = UInt8(ascii: "-")
        guard bytes.count == Self.uuidLength, let base = bytes.baseAddress,
            base[8] == dash, base[13] == dash, base[18] == dash, base[23] == dash
        else { return nil }
        let raw = UnsafeRawPointer(base)
        func eight(at offset: Int) -> UInt64 {
            UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        }
        func four(at offset: Int) -> UInt64 {
            UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        }
        var cases = HexCases()
        let high = HexWord.value(eight(at: 0), &cases) << 32 | HexWord.value(four(at: 9) | four(at: 14) << 32, &cases)
        let low = HexWord.value(four(at: 19) | four(at: 24) << 32, &cases) << 32 | HexWord.value(eight(at: 28), &cases)
        guard !cases.invalid, !(cases.upper && cases.lower) else { return nil }
        return .uuid(high: high, low: low, lowercase: cases.lower)
    }
}

/// What the digits of a UUID's text were: whether any byte was not a hex digit, and which cases its letters had.
private struct HexCases {
    var invalid = false
    var lower = false
    var upper = false
}

/// Decodes eight ASCII hex digits held in one 64-bit word (the first digit in the lowest byte) at once.
private enum HexWord {
    /// `byte` in every byte of a word.
    private static func repeated(_ byte: UInt8) -> UInt64 { 0x0101_0101_0101_0101 &* UInt64(byte) }

    /// The high bit of each byte set where that byte of `word` (every byte below 0x80) is within `lowest...highest`:
    /// adding `0x80 - lowest` sets it from `lowest` up, adding `0x7F - highest` sets it above `highest`, and neither
    /// sum carries into the next byte.
    private static func within(_ word: UInt64, _ lowest: UInt8, _ highest: UInt8) -> UInt64 {
        let fromLowest = word &+ Self.repeated(0x80 &- lowest)
        let aboveHighest = word &+ Self.repeated(0x7F &- highest)
        return fromLowest & ~aboveHighest & Self.repeated(0x80)
    }

    /// The 32-bit value of the eight digits in `word`, the first one most significant; notes in `cases` a byte that
    /// is not a hex digit and the cases of the letters.
    static func value(_ word: UInt64, _ cases: inout HexCases) -> UInt64 {
        let highBits = Self.repeated(0x80)
        let lower = Self.within(word, UInt8(ascii: "a"), UInt8(ascii: "f"))
        let upper = Self.within(word, UInt8(ascii: "A"), UInt8(ascii: "F"))
        let decimal = Self.within(word, UInt8(ascii: "0"), UInt8(ascii: "9"))
        cases.invalid = cases.invalid || word & highBits != 0 || decimal | lower | upper != highBits
        cases.lower = cases.lower || lower != 0
        cases.upper = cases.upper || upper != 0
        // A digit's low four bits are its value; a letter's are 1...6 and bit 6 marks it: add 9.
        let nibbles = (word & Self.repeated(0x0F)) &+ ((word >> 6) & Self.repeated(0x01)) &* 9
        // Pairs of nibbles into bytes, then bytes into one 32-bit value, first digit first.
        let bytes = (nibbles & 0x000F_000F_000F_000F) << 4 | (nibbles >> 8) & 0x000F_000F_000F_000F
        let halves = (bytes | bytes >> 8) & 0x0000_FFFF_0000_FFFF
        return UInt64(UInt32(truncatingIfNeeded: halves | halves >> 16).byteSwapped)
    }
}
