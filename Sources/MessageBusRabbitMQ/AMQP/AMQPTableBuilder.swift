internal import CMessageBusRabbitMQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Builds the client-properties table of `connection.start-ok`.
enum AMQPTableBuilder {
    /// Calls `body` with client properties naming the connection and announcing the capabilities the backend
    /// handles (`authentication_failure_close`, so that bad credentials come back as a typed 403 instead of a
    /// dropped socket; `consumer_cancel_notify`; `publisher_confirms`; `connection.blocked`).
    static func withClientProperties<Result>(
        connectionName: String, _ body: (UnsafePointer<amqp_table_t>) -> Result
    ) -> Result {
        let texts = [
            "connection_name", connectionName, "product", "MessageBus (rabbitmq-c)", "capabilities",
            "authentication_failure_close", "consumer_cancel_notify", "publisher_confirms", "connection.blocked",
        ]
        let copies = texts.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        func bytes(_ index: Int) -> amqp_bytes_t { amqp_cstring_bytes(copies[index]) }
        func flag(_ index: Int) -> amqp_table_entry_t {
            var entry = amqp_table_entry_t()
            entry.key = bytes(index)
            entry.value.kind = UInt8(AMQP_FIELD_KIND_BOOLEAN.rawValue)
            entry.value.value.boolean = 1
            return entry
        }
        var capabilities = [flag(5), flag(6), flag(7), flag(8)]
        return capabilities.withUnsafeMutableBufferPointer { capabilityEntries in
            var name = amqp_table_entry_t()
            name.key = bytes(0)
            name.value.kind = UInt8(AMQP_FIELD_KIND_UTF8.rawValue)
            name.value.value.bytes = bytes(1)
            var product = amqp_table_entry_t()
            product.key = bytes(2)
            product.value.kind = UInt8(AMQP_FIELD_KIND_UTF8.rawValue)
            product.value.value.bytes = bytes(3)
            var capabilityTable = amqp_table_entry_t()
            capabilityTable.key = bytes(4)
            capabilityTable.value.kind = UInt8(AMQP_FIELD_KIND_TABLE.rawValue)
            capabilityTable.value.value.table = amqp_table_t(
                num_entries: Int32(capabilityEntries.count), entries: capabilityEntries.baseAddress)
            var entries = [name, product, capabilityTable]
            return entries.withUnsafeMutableBufferPointer { all in
                var table = amqp_table_t(num_entries: Int32(all.count), entries: all.baseAddress)
                return body(&table)
            }
        }
    }
}
