/// A librdkafka call that failed in a test helper, with librdkafka's own explanation.
struct RDKafkaClientError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}

extension [CChar] {
    /// The text a C function wrote into this buffer, up to its NUL terminator.
    var nulTerminatedString: String {
        withUnsafeBufferPointer { buffer in
            String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }
}
