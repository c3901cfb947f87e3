/// The bytes of a run of consumed records (payloads, keys, ids and the other header values), copied out of
/// librdkafka into one buffer on the consumer thread, and the table of the application headers among them.
///
/// The consumer thread then makes no Swift allocation per record: each record's `Message` is made from these bytes
/// by the application's task when it takes the delivery, so the message is allocated and later freed on the same
/// thread. Allocating on the consumer thread and freeing on the application's made every record contend for the
/// allocator's per-thread arena, which cost more than the rest of the hand-off.
struct KafkaRecordBytes: Sendable {
    /// Where an application header's name and value are in ``storage``.
    typealias Header = (name: Range<Int>, value: Range<Int>)

    let storage: [UInt8]
    /// The application headers of every record, each record's in a run of its own (``KafkaRecordFields/headers``).
    let headers: [Header]

    /// Collects the bytes of the records of one hand-off; thread-confined to the consumer thread.
    struct Builder {
        private var storage: [UInt8] = []
        private var headers: [Header] = []

        init() {}

        /// Makes room for `count` more bytes, so that the records about to be copied in take one allocation: a
        /// hand-off's buffer lives as long as its last delivery, so it is sized to its records rather than to a
        /// fixed chunk (a slow consumer hands off a record or two at a time, and each fixed 32 KiB buffer then held
        /// a few hundred bytes).
        mutating func reserve(_ count: Int) {
            self.storage.reserveCapacity(self.storage.count + count)
        }

        /// Copies `bytes` in and returns where they are.
        mutating func append(_ bytes: UnsafeRawBufferPointer) -> Range<Int> {
            let start = self.storage.count
            self.storage.append(contentsOf: bytes)
            return start..<self.storage.count
        }

        /// Copies an application header in and returns where it is in the header table; headers appended one after
        /// another form one run.
        mutating func appendHeader(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> Int {
            self.headers.append((self.append(name), self.append(value)))
            return self.headers.count - 1
        }

        /// The bytes collected so far, shared by the records that point into them; the builder starts empty again.
        mutating func finish() -> KafkaRecordBytes {
            let bytes = KafkaRecordBytes(storage: self.storage, headers: self.headers)
            self.storage = []
            self.headers = []
            return bytes
        }
    }
}
