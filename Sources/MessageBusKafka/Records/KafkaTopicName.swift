/// A topic name with its C string, made once per topic rather than once per produce call.
struct KafkaTopicName: Sendable {
    /// The name.
    let name: String
    /// The name's NUL-terminated bytes, as librdkafka takes them.
    let cString: ContiguousArray<CChar>

    init(_ name: String) {
        self.name = name
        self.cString = ContiguousArray(name.utf8CString)
    }
}
