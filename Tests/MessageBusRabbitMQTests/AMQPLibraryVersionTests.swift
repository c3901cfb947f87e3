import CMessageBusRabbitMQ
import MessageBusRabbitMQ
import Testing

@Suite("rabbitmq-c version")
struct AMQPLibraryVersionTests {
    @Test("decodes rabbitmq-c's 0xMMmmpprr encoding", arguments: [
        (UInt32(0x000B_0001), "0.11.0", AMQPLibraryVersion(major: 0, minor: 11, patch: 0)),
        (UInt32(0x000E_0001), "0.14.0", AMQPLibraryVersion(major: 0, minor: 14, patch: 0)),
        (UInt32(0x000C_0100), "0.12.1-pre", AMQPLibraryVersion(major: 0, minor: 12, patch: 1, isRelease: false)),
    ])
    func decodes(encoded: UInt32, text: String, expected: AMQPLibraryVersion) {
        let version = AMQPLibraryVersion(encoded: encoded)
        #expect(version == expected)
        #expect(version.description == text)
    }

    @Test("orders by number, a development build before its release")
    func ordering() {
        #expect(AMQPLibraryVersion(major: 0, minor: 11, patch: 0) < AMQPLibraryVersion(major: 0, minor: 12, patch: 0))
        #expect(AMQPLibraryVersion(major: 0, minor: 9, patch: 9) < AMQPLibraryVersion(major: 0, minor: 10, patch: 0))
        #expect(
            AMQPLibraryVersion(major: 0, minor: 12, patch: 0, isRelease: false)
                < AMQPLibraryVersion(major: 0, minor: 12, patch: 0)
        )
        #expect(!(AMQPLibraryVersion(major: 1, minor: 0, patch: 0) < AMQPLibraryVersion(major: 0, minor: 99, patch: 0)))
    }

    @Test("reports the loaded rabbitmq-c, consistent with amqp_version()")
    func linked() {
        let linked = AMQPLibraryVersion.linked
        #expect(linked == AMQPLibraryVersion(encoded: amqp_version_number()))
        #expect(AMQPLibraryVersion.linkedVersionString == String(cString: amqp_version()))
        #expect(AMQPLibraryVersion.linkedVersionString.hasPrefix(linked.description))
        // Debian 12 ships 0.11.0; nothing older is supported by the shim headers.
        #expect(linked >= AMQPLibraryVersion(major: 0, minor: 11, patch: 0))
    }
}
