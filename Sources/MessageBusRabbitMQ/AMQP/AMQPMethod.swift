internal import CMessageBusRabbitMQ

/// AMQP 0-9-1 method ids (class << 16 | method) the connection owner dispatches on. The C headers define them as
/// cast macros, which Swift does not import.
enum AMQPMethod {
    static let connectionClose: amqp_method_number_t = 0x000A_0032
    static let connectionCloseOk: amqp_method_number_t = 0x000A_0033
    static let connectionBlocked: amqp_method_number_t = 0x000A_003C
    static let connectionUnblocked: amqp_method_number_t = 0x000A_003D
    static let channelClose: amqp_method_number_t = 0x0014_0028
    static let channelCloseOk: amqp_method_number_t = 0x0014_0029
    static let basicCancel: amqp_method_number_t = 0x003C_001E
    static let basicCancelOk: amqp_method_number_t = 0x003C_001F
    static let basicReturn: amqp_method_number_t = 0x003C_0032
    static let basicDeliver: amqp_method_number_t = 0x003C_003C
    static let basicGetOk: amqp_method_number_t = 0x003C_0047
    static let basicAck: amqp_method_number_t = 0x003C_0050
    static let basicNack: amqp_method_number_t = 0x003C_0078
}

/// AMQP reply codes the backend maps to typed errors.
enum AMQPReplyCode {
    static let accessRefused: UInt16 = 403
    static let notFound: UInt16 = 404
    static let resourceLocked: UInt16 = 405
    static let preconditionFailed: UInt16 = 406
    static let notAllowed: UInt16 = 530
    static let connectionForced: UInt16 = 320
}
