import MessageBusIntegrationSupport

/// A header-table value of any AMQP 0-9-1 field kind rabbitmq-c encodes, as plain Swift data: the seeded random
/// decoding tests build random ones, write them with rabbitmq-c and predict what the backend reads back.
indirect enum AMQPFieldModel {
    case boolean(Bool)
    case i8(Int8), u8(UInt8), i16(Int16), u16(UInt16), i32(Int32), u32(UInt32), i64(Int64), u64(UInt64)
    case timestamp(UInt64)
    case f32(Float), f64(Double)
    case decimal(UInt8, UInt32)
    case utf8([UInt8]), bytes([UInt8])
    case void
    case table([(name: [UInt8], value: AMQPFieldModel)])
    case array([AMQPFieldModel])

    /// The value as an integer, as the backend reads counters and offsets: any integer kind or a timestamp.
    var integer: Int? {
        switch self {
        case .i8(let value): Int(value)
        case .u8(let value): Int(value)
        case .i16(let value): Int(value)
        case .u16(let value): Int(value)
        case .i32(let value): Int(value)
        case .u32(let value): Int(value)
        case .i64(let value): Int(value)
        case .u64(let value), .timestamp(let value): Int(truncatingIfNeeded: value)
        default: nil
        }
    }

    /// The header value the backend gives the application: strings and byte arrays as they are, booleans and
    /// numbers as their text, anything else (decimals, void, nested tables and arrays) empty.
    var headerBytes: [UInt8] {
        switch self {
        case .utf8(let bytes), .bytes(let bytes): bytes
        case .boolean(let value): Array((value ? "true" : "false").utf8)
        case .f32(let value): Array(String(value).utf8)
        case .f64(let value): Array(String(value).utf8)
        default: self.integer.map { Array(String($0).utf8) } ?? []
        }
    }

    /// A random value; tables and arrays nest at most `depth` levels.
    static func random(_ random: inout SeededRandom, depth: Int = 2) -> AMQPFieldModel {
        switch Int.random(in: 0..<(depth > 0 ? 19 : 17), using: &random) {
        case 0: .boolean(random.next() % 2 == 0)
        case 1: .i8(Int8(truncatingIfNeeded: random.next()))
        case 2: .u8(UInt8(truncatingIfNeeded: random.next()))
        case 3: .i16(Int16(truncatingIfNeeded: random.next()))
        case 4: .u16(UInt16(truncatingIfNeeded: random.next()))
        case 5: .i32(Int32(truncatingIfNeeded: random.next()))
        case 6: .u32(UInt32(truncatingIfNeeded: random.next()))
        case 7: .i64(Int64(truncatingIfNeeded: random.next()))
        case 8: .u64(random.next())
        case 9: .timestamp(random.next())
        case 10: .f32(Float(bitPattern: UInt32(truncatingIfNeeded: random.next())))
        case 11: .f64(Double(bitPattern: random.next()))
        case 12: .decimal(UInt8(truncatingIfNeeded: random.next()), UInt32(truncatingIfNeeded: random.next()))
        case 13, 14: .utf8(random.bytes(maxLength: 30))
        case 15: .bytes(random.bytes(maxLength: 30))
        case 16: .void
        case 17:
            .table((0..<Int.random(in: 0...3, using: &random)).map { _ in
                (random.bytes(maxLength: 8), Self.random(&random, depth: depth - 1))
            })
        default: .array((0..<Int.random(in: 0...3, using: &random)).map { _ in Self.random(&random, depth: depth - 1) })
        }
    }
}
