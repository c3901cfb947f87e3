import ArgumentParser
import Foundation
import MessageBus

/// How `consume` prints each delivery.
enum DeliveryFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// `key<TAB>text` per line; a payload that is not UTF-8 shows as `<N bytes>`.
    case text
    /// One JSON object per line with every property (``DeliveryRecord``).
    case json
    /// The payload bytes exactly as received, followed by the delimiter.
    case raw

    /// The bytes printed for `deliveries`.
    ///
    /// - Parameter delimiter: What follows each payload in `raw` format.
    func render(_ deliveries: [Delivery], delimiter: [UInt8]) throws -> [UInt8] {
        var output: [UInt8] = []
        switch self {
        case .text:
            for delivery in deliveries {
                let message = delivery.message
                let body = message.text ?? "<\(message.payload.count) bytes>"
                output += Array("\(message.key ?? "-")\t\(body)\n".utf8)
            }
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            for delivery in deliveries {
                output += try encoder.encode(DeliveryRecord(delivery))
                output.append(UInt8(ascii: "\n"))
            }
        case .raw:
            for delivery in deliveries {
                output += delivery.message.payload
                output += delimiter
            }
        }
        return output
    }
}

/// What `consume` does with each delivery once it is printed.
enum AckPolicy: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// Acknowledge: the group is done with it.
    case ack
    /// Give it back to the group, to be redelivered (a peek).
    case requeue
    /// Drop it (a nack without requeue).
    case discard
    /// Dead-letter it (to `<destination>.dlq`).
    case reject
    /// Leave it unsettled: it goes back to the group when the command ends.
    case none

    /// Settles `deliveries` under this policy.
    func settle(_ deliveries: [Delivery]) async throws {
        switch self {
        case .ack: try await deliveries.ackAll()
        case .requeue: try await deliveries.settleAll(as: .requeue)
        case .discard: try await deliveries.settleAll(as: .discard)
        case .reject: try await deliveries.settleAll(as: .deadLetter(reason: "rejected by messagebus consume"))
        case .none: break
        }
    }
}
