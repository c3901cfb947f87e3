import Foundation
import MessageBus

/// Where a consumed record's message properties are in its ``KafkaRecordBytes``, and the properties that need no
/// allocation; ``message(in:topic:partition:offset:)`` makes the `Message`. Holds no reference, so that the
/// consumer thread copies it as plain bytes.
struct KafkaRecordFields: Sendable {
    var payload: Range<Int>
    var key: Range<Int>?
    var id: Range<Int>?
    var contentType: Range<Int>?
    var correlationID: Range<Int>?
    /// The application's own headers, in record order: a run of the bytes' header table (empty for most records).
    var headers: Range<Int> = 0..<0
    /// `ce_time` when the record has it, otherwise the record timestamp.
    var timestamp: Date?

    /// The message, made from `bytes`; a record without `ce_id` (one another producer wrote) gets
    /// `<topic>-<partition>-<offset>` as its id.
    func message(in bytes: KafkaRecordBytes, topic: String, partition: Int32, offset: Int64) -> Message {
        bytes.storage.withUnsafeBufferPointer { storage in
            func string(_ range: Range<Int>) -> String { String(decoding: storage[range], as: UTF8.self) }
            var headers = MessageHeaders()
            for (name, value) in bytes.headers[self.headers] {
                headers.append(MessageHeader(name: string(name), value: Array(storage[value])))
            }
            return Message(
                payload: Array(storage[self.payload]),
                key: self.key.map(string),
                headers: headers,
                identifier: self.id.map { MessageIdentifier(utf8: UnsafeBufferPointer(rebasing: storage[$0])) }
                    ?? .text("\(topic)-\(partition)-\(offset)"),
                timestamp: self.timestamp,
                contentType: self.contentType.map(string),
                correlationID: self.correlationID.map(string))
        }
    }
}
