@testable import MessageBusKafka

/// A consumed record held in Swift arrays, for decoding tests without a consumer.
struct InMemoryKafkaRecord: KafkaConsumedRecord {
    var topic: String
    var partition: Int32
    var offset: Int64
    var key: [UInt8]?
    var value: [UInt8]
    var headers: [(name: String, value: [UInt8])]
    var timestampMilliseconds: Int64?

    func withValue<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        self.value.withUnsafeBytes(body)
    }

    func withKey<Result>(_ body: (UnsafeRawBufferPointer?) -> Result) -> Result {
        guard let key = self.key else { return body(nil) }
        return key.withUnsafeBytes { body($0) }
    }

    func forEachHeader(_ body: (_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> Void) {
        for (name, value) in self.headers {
            Array(name.utf8).withUnsafeBytes { name in value.withUnsafeBytes { body(name, $0) } }
        }
    }
}
