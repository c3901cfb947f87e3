/// A value in an AMQP arguments table: queue and exchange arguments (`x-message-ttl`, ...), binding arguments
/// (the header values a headers exchange matches) and consumer arguments.
///
/// Literals work where a value is expected: `["x-match": "all", "format": "pdf", "pages": 3]`.
public enum RabbitMQArgumentValue: Sendable, Hashable {
    /// A long string (`S`).
    case string(String)
    /// A signed 64-bit integer (`l`).
    case integer(Int64)
    /// A boolean (`t`).
    case boolean(Bool)
    /// A 64-bit float (`d`).
    case double(Double)
}

extension RabbitMQArgumentValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral
{
    /// A string value.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An integer value.
    public init(integerLiteral value: Int64) { self = .integer(value) }
    /// A boolean value.
    public init(booleanLiteral value: Bool) { self = .boolean(value) }
    /// A floating-point value.
    public init(floatLiteral value: Double) { self = .double(value) }
}
