/// Validation of the names used as destinations and subscriber groups.
///
/// The rule is the intersection of what Kafka topics and RabbitMQ exchanges and queues accept, so that a name
/// valid on one backend is valid on all of them: 1 to 200 characters out of ASCII letters, digits, `.`, `_`
/// and `-`.
public enum DestinationName {
    /// Throws ``MessageBusError/Code/invalidConfiguration`` naming `name` when it is not portable.
    ///
    /// - Parameters:
    ///   - name: The destination or group name.
    ///   - role: What the name is for, used in the error (`destination`, `group`).
    public static func validate(_ name: String, role: String = "destination") throws {
        let isPortable = !name.isEmpty && name.utf8.count <= 200 && name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                true
            default:
                false
            }
        }
        guard isPortable, name != ".", name != ".." else {
            throw MessageBusError.invalidConfiguration(
                key: role, value: name,
                expected: "1 to 200 characters of ASCII letters, digits, '.', '_' or '-' (valid on every backend)")
        }
    }

    /// `name` when it has at most `maxLength` bytes; otherwise its first bytes followed by `-` and 16 hex digits
    /// of a hash of the whole name, `maxLength` bytes in all. For names a backend derives from the user's (a group
    /// queue `<destination>.<group>`, a retry topic), which may outgrow the broker's limit (AMQP: 255 bytes) though
    /// each part is within it; distinct long names stay distinct, and the same name always derives the same way.
    package static func fitting(_ name: String, maxLength: Int) -> String {
        let bytes = Array(name.utf8)
        guard bytes.count > maxLength else { return name }
        let suffix = "-" + Self.stableHash(name)
        return String(decoding: bytes.prefix(max(0, maxLength - suffix.utf8.count)), as: UTF8.self) + suffix
    }

    /// 16 hex digits of a 64-bit FNV-1a hash of `name`: the same in every process (unlike `Hasher`), for names
    /// that must be derived identically by every member of a group.
    package static func stableHash(_ name: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.utf8.count) + hex
    }
}
