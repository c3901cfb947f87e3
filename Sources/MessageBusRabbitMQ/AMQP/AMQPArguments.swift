internal import CMessageBusRabbitMQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An AMQP arguments table (`x-queue-type`, `alternate-exchange`, ...), built for the length of one call.
struct AMQPArguments {
    enum Value {
        case text(String)
        case integer(Int64)
        case boolean(Bool)
        case double(Double)
        /// Seconds since 1970 (`T`), as `x-stream-offset` takes a time.
        case timestamp(UInt64)
    }

    var entries: [(key: String, value: Value)] = []

    init(entries: [(key: String, value: Value)] = []) {
        self.entries = entries
    }

    /// The public arguments, in key order (so that a re-declare sends the same table).
    init(_ arguments: [String: RabbitMQArgumentValue]) {
        self.entries = arguments.sorted { $0.key < $1.key }.map { key, value in
            switch value {
            case .string(let text): (key, .text(text))
            case .integer(let number): (key, .integer(number))
            case .boolean(let flag): (key, .boolean(flag))
            case .double(let number): (key, .double(number))
            }
        }
    }

    /// Calls `body` with the table; the memory lives only during the call.
    func withTable<Result>(_ body: (amqp_table_t) throws(AMQPFailure) -> Result) throws(AMQPFailure) -> Result {
        guard !self.entries.isEmpty else { return try body(amqp_empty_table) }
        var copies: [UnsafeMutablePointer<CChar>?] = []
        defer { copies.forEach { free($0) } }
        func bytes(_ text: String) -> amqp_bytes_t {
            let copy = strdup(text)
            copies.append(copy)
            return amqp_cstring_bytes(copy)
        }
        var table = self.entries.map { key, value -> amqp_table_entry_t in
            var entry = amqp_table_entry_t()
            entry.key = bytes(key)
            switch value {
            case .text(let text):
                entry.value.kind = UInt8(AMQP_FIELD_KIND_UTF8.rawValue)
                entry.value.value.bytes = bytes(text)
            case .integer(let number):
                entry.value.kind = UInt8(AMQP_FIELD_KIND_I64.rawValue)
                entry.value.value.i64 = number
            case .boolean(let flag):
                entry.value.kind = UInt8(AMQP_FIELD_KIND_BOOLEAN.rawValue)
                entry.value.value.boolean = flag ? 1 : 0
            case .double(let number):
                entry.value.kind = UInt8(AMQP_FIELD_KIND_F64.rawValue)
                entry.value.value.f64 = number
            case .timestamp(let seconds):
                entry.value.kind = UInt8(AMQP_FIELD_KIND_TIMESTAMP.rawValue)
                entry.value.value.u64 = seconds
            }
            return entry
        }
        let count = Int32(table.count)
        let outcome: Swift.Result<Result, AMQPFailure> = table.withUnsafeMutableBufferPointer { buffer in
            do throws(AMQPFailure) {
                return .success(try body(amqp_table_t(num_entries: count, entries: buffer.baseAddress)))
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }
}
