import CMessageBusRabbitMQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// C memory for rabbitmq-c structures built from ``AMQPFieldModel``s, freed with the arena.
final class AMQPFieldArena {
    private var allocations: [UnsafeMutableRawPointer] = []

    deinit {
        self.allocations.forEach { free($0) }
    }

    /// A copy of `bytes` that lives as long as the arena.
    func bytes(_ bytes: [UInt8]) -> amqp_bytes_t {
        guard !bytes.isEmpty, let memory = malloc(bytes.count) else { return amqp_bytes_t(len: 0, bytes: nil) }
        self.allocations.append(memory)
        bytes.withUnsafeBytes { memory.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        return amqp_bytes_t(len: bytes.count, bytes: memory)
    }

    /// A table of `entries`.
    func table(_ entries: [(name: [UInt8], value: AMQPFieldModel)]) -> amqp_table_t {
        let memory = self.array(of: amqp_table_entry_t.self, count: entries.count)
        for (index, entry) in entries.enumerated() {
            memory?[index] = amqp_table_entry_t(key: self.bytes(entry.name), value: self.field(entry.value))
        }
        return amqp_table_t(num_entries: Int32(entries.count), entries: memory)
    }

    /// `model` as rabbitmq-c's field value.
    func field(_ model: AMQPFieldModel) -> amqp_field_value_t {
        var field = amqp_field_value_t()
        func kind(_ kind: amqp_field_value_kind_t) { field.kind = UInt8(kind.rawValue) }
        switch model {
        case .boolean(let value): kind(AMQP_FIELD_KIND_BOOLEAN); field.value.boolean = value ? 1 : 0
        case .i8(let value): kind(AMQP_FIELD_KIND_I8); field.value.i8 = value
        case .u8(let value): kind(AMQP_FIELD_KIND_U8); field.value.u8 = value
        case .i16(let value): kind(AMQP_FIELD_KIND_I16); field.value.i16 = value
        case .u16(let value): kind(AMQP_FIELD_KIND_U16); field.value.u16 = value
        case .i32(let value): kind(AMQP_FIELD_KIND_I32); field.value.i32 = value
        case .u32(let value): kind(AMQP_FIELD_KIND_U32); field.value.u32 = value
        case .i64(let value): kind(AMQP_FIELD_KIND_I64); field.value.i64 = value
        case .u64(let value): kind(AMQP_FIELD_KIND_U64); field.value.u64 = value
        case .timestamp(let value): kind(AMQP_FIELD_KIND_TIMESTAMP); field.value.u64 = value
        case .f32(let value): kind(AMQP_FIELD_KIND_F32); field.value.f32 = value
        case .f64(let value): kind(AMQP_FIELD_KIND_F64); field.value.f64 = value
        case .decimal(let decimals, let value):
            kind(AMQP_FIELD_KIND_DECIMAL)
            field.value.decimal = amqp_decimal_t(decimals: decimals, value: value)
        case .utf8(let bytes): kind(AMQP_FIELD_KIND_UTF8); field.value.bytes = self.bytes(bytes)
        case .bytes(let bytes): kind(AMQP_FIELD_KIND_BYTES); field.value.bytes = self.bytes(bytes)
        case .void: kind(AMQP_FIELD_KIND_VOID)
        case .table(let entries): kind(AMQP_FIELD_KIND_TABLE); field.value.table = self.table(entries)
        case .array(let values):
            kind(AMQP_FIELD_KIND_ARRAY)
            let memory = self.array(of: amqp_field_value_t.self, count: values.count)
            for (index, value) in values.enumerated() { memory?[index] = self.field(value) }
            field.value.array = amqp_array_t(num_entries: Int32(values.count), entries: memory)
        }
        return field
    }

    private func array<Element>(of type: Element.Type, count: Int) -> UnsafeMutablePointer<Element>? {
        guard count > 0, let memory = calloc(count, MemoryLayout<Element>.stride) else { return nil }
        self.allocations.append(memory)
        return memory.bindMemory(to: Element.self, capacity: count)
    }
}
