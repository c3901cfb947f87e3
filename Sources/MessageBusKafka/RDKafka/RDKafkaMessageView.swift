internal import CMessageBusRdKafka
import Foundation

/// A polled `rd_kafka_message_t` read in place by ``KafkaRecordCodec/decode(_:)``; valid until the message is
/// destroyed, so it never leaves the consumer thread's handling of its batch.
struct RDKafkaMessageView: KafkaConsumedRecord {
    let message: UnsafeMutablePointer<rd_kafka_message_t>
    let topic: String

    var partition: Int32 { self.message.pointee.partition }
    var offset: Int64 { self.message.pointee.offset }

    var timestampMilliseconds: Int64? {
        var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(self.message, &type)
        return type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : timestamp
    }

    func withValue<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        let payload = self.message.pointee.payload
        return body(UnsafeRawBufferPointer(start: payload, count: payload == nil ? 0 : self.message.pointee.len))
    }

    func withKey<Result>(_ body: (UnsafeRawBufferPointer?) -> Result) -> Result {
        body(self.message.pointee.key.map { UnsafeRawBufferPointer(start: $0, count: self.message.pointee.key_len) })
    }

    func forEachHeader(_ body: (_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> Void) {
        var headers: OpaquePointer?
        guard rd_kafka_message_headers(self.message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR, let headers else { return }
        var index = 0
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        while rd_kafka_header_get_all(headers, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
            let nameBytes = name.map { UnsafeRawBufferPointer(start: $0, count: strlen($0)) } ?? UnsafeRawBufferPointer(start: nil, count: 0)
            body(nameBytes, UnsafeRawBufferPointer(start: value, count: value == nil ? 0 : size))
            index += 1
        }
    }
}
