import Foundation
import MessageBus
import MessageBusRabbitMQ

/// One delivery as `consume --format json` prints it: a JSON object with every property the delivery carries.
///
/// The payload is UTF-8 text when it is valid UTF-8, base64 otherwise (`payloadBase64` says which); header values
/// likewise (the names of base64 ones are listed in `base64Headers`). Properties a backend does not have are left out.
struct DeliveryRecord: Encodable, Sendable {
    var id: String
    var key: String?
    var headers: [String: String]
    var base64Headers: [String]?
    var contentType: String?
    var correlationID: String?
    var timestamp: String?
    var attempt: Int
    var destination: String
    var group: String?
    var partition: Int32?
    var offset: Int64?
    var deliveryTag: UInt64?
    var replyTo: String?
    var type: String?
    var appID: String?
    var priority: UInt8?
    var payload: String
    var payloadBase64: Bool
    var payloadSize: Int

    /// The record of `delivery` (RabbitMQ deliveries add their delivery tag and AMQP properties).
    init(_ delivery: Delivery) {
        let message = delivery.message
        self.id = message.id
        self.key = message.key
        var headers: [String: String] = [:]
        var base64Headers: [String] = []
        for header in message.headers {
            if let text = header.stringValue {
                headers[header.name] = text
            } else {
                headers[header.name] = Data(header.value).base64EncodedString()
                base64Headers.append(header.name)
            }
        }
        self.headers = headers
        self.base64Headers = base64Headers.isEmpty ? nil : base64Headers
        self.contentType = message.contentType
        self.correlationID = message.correlationID
        self.timestamp = message.timestamp?.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        self.attempt = delivery.attempt
        self.destination = delivery.destination
        self.group = delivery.context.group
        self.partition = delivery.position?.partition
        self.offset = delivery.position?.offset
        if delivery.context.backend == "rabbitmq" {
            self.deliveryTag = delivery.tag
            let properties = delivery.rabbitMQProperties
            self.replyTo = properties.replyTo
            self.type = properties.type
            self.appID = properties.appID
            self.priority = properties.priority
        }
        if let text = message.text {
            self.payload = text
            self.payloadBase64 = false
        } else {
            self.payload = Data(message.payload).base64EncodedString()
            self.payloadBase64 = true
        }
        self.payloadSize = message.payload.count
    }
}
