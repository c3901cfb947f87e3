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
}
