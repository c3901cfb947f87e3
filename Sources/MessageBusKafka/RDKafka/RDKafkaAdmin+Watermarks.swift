internal import CMessageBusRdKafka
import MessageBus

extension RDKafkaAdmin {
    /// Per partition of `topic` (partitions `0..<partitions`): the low and high watermarks. Blocks.
    static func watermarks(
        topic: String, partitions: Int, on client: RDKafkaClient, timeoutMilliseconds: Int32
    ) throws(MessageBusError) -> [(partition: Int32, low: Int64, high: Int64)] {
        try client.enter("reading the watermarks of '\(topic)'")
        defer { client.leave() }
        var result: [(partition: Int32, low: Int64, high: Int64)] = []
        for partition in 0..<Int32(clamping: partitions) {
            var low: Int64 = 0
            var high: Int64 = 0
            let error = rd_kafka_query_watermark_offsets(client.pointer, topic, partition, &low, &high, timeoutMilliseconds)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw RDKafkaError.error(error, "reading the watermarks of \(topic)[\(partition)]")
            }
            result.append((partition, low, high))
        }
        return result
    }
}
