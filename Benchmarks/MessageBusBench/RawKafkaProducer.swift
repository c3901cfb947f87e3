import CMessageBusRdKafka
import Foundation

/// A raw librdkafka producer writing the records MessageBus writes for a `Message(payload:)`: the value, the
/// CloudEvents `ce_id` header (fixed bytes here: making the id is part of what MessageBus is measured for), and a
/// create timestamp (librdkafka stamps the current time when none is given; MessageBus gives the message's).
final class RawKafkaProducer {
    private static let idHeader = Array("5F1A7C2E-9B3D-4E8A-A1C6-0D2B4F6E8A90".utf8)

    /// Delivery reports, counted by librdkafka's callback on the thread that polls.
    private final class Reports {
        var delivered = 0
        var failed = 0
        var firstError: String?
    }

    private let handle: OpaquePointer
    private let reports = Reports()
    private let topic: String
    private(set) var produced = 0

    init(brokers: String, topic: String) throws {
        let conf = try RawKafkaSettings.configuration(RawKafkaSettings.producer.merging(["bootstrap.servers": brokers]) { $1 })
        rd_kafka_conf_set_dr_msg_cb(conf) { _, message, opaque in
            guard let message, let opaque else { return }
            let reports = Unmanaged<Reports>.fromOpaque(opaque).takeUnretainedValue()
            if message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                reports.delivered += 1
            } else {
                reports.failed += 1
                if reports.firstError == nil { reports.firstError = RawKafkaSettings.describe(message.pointee.err) }
            }
        }
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(self.reports).toOpaque())
        self.handle = try RawKafkaSettings.client(RD_KAFKA_PRODUCER, conf)
        self.topic = topic
    }

    deinit {
        rd_kafka_destroy(self.handle)
    }

    /// Enqueues one record with a copy of `value`, serving delivery reports while the local queue is full.
    func produce(_ value: UnsafeRawBufferPointer) throws {
        while true {
            let headers = rd_kafka_headers_new(1)
            _ = Self.idHeader.withUnsafeBytes { rd_kafka_header_add(headers, "ce_id", -1, $0.baseAddress, $0.count) }
            let error = self.topic.withCString { topicName in
                withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 4) { fields in
                    fields.initialize(repeating: rd_kafka_vu_t())
                    fields[0].vtype = RD_KAFKA_VTYPE_TOPIC
                    fields[0].u.cstr = topicName
                    fields[1].vtype = RD_KAFKA_VTYPE_VALUE
                    fields[1].u.mem.ptr = UnsafeMutableRawPointer(mutating: value.baseAddress)
                    fields[1].u.mem.size = value.count
                    fields[2].vtype = RD_KAFKA_VTYPE_MSGFLAGS
                    fields[2].u.i = RD_KAFKA_MSG_F_COPY
                    fields[3].vtype = RD_KAFKA_VTYPE_HEADERS
                    fields[3].u.headers = headers  // owned by librdkafka once produced
                    return rd_kafka_produceva(self.handle, fields.baseAddress, 4)
                }
            }
            guard let error else {
                self.produced += 1
                return
            }
            let code = rd_kafka_error_code(error)
            rd_kafka_error_destroy(error)
            rd_kafka_headers_destroy(headers)
            guard code == RD_KAFKA_RESP_ERR__QUEUE_FULL else {
                throw BenchError("produce failed: \(RawKafkaSettings.describe(code))")
            }
            rd_kafka_poll(self.handle, 10)
        }
    }

    /// Serves delivery reports, waiting up to `milliseconds` for one.
    func poll(_ milliseconds: Int32) {
        rd_kafka_poll(self.handle, milliseconds)
    }

    /// Waits until every record produced so far has its delivery report; throws on the first failure.
    func flush() throws {
        let status = rd_kafka_flush(self.handle, 60_000)
        guard status == RD_KAFKA_RESP_ERR_NO_ERROR, self.reports.failed == 0, self.reports.delivered == self.produced else {
            throw BenchError(
                "raw producer delivered \(self.reports.delivered) of \(self.produced), \(self.reports.failed) failed"
                    + (self.reports.firstError.map { " (\($0))" } ?? ""))
        }
    }

    /// Produces `count` records of `payload`: serving delivery reports every 1,000 records and flushing at the
    /// end, or, with `batch`, flushing after every batch (the confirmed-batch pattern). Timed from after a
    /// warm-up record (every publisher sends one, see `BusWorkload.publish`) until the last report.
    /// Filling a topic for a consume case (`warmUp: false`) writes exactly `count` records.
    static func produce(
        brokers: String, topic: String, count: Int, payload: [UInt8], batch: Int? = nil, warmUp: Bool = true
    ) throws -> CaseResult {
        let producer = try RawKafkaProducer(brokers: brokers, topic: topic)
        var meter = Meter()
        try payload.withUnsafeBytes { value in
            if warmUp {
                try producer.produce(value)  // connected, with a producer id, before the window
                try producer.flush()
            }
            meter.begin()
            for index in 1...count {
                try producer.produce(value)
                if let batch, index % batch == 0 {
                    try producer.flush()
                } else if index % 1000 == 0 {
                    producer.poll(0)
                }
            }
        }
        try producer.flush()
        meter.finish()
        return try meter.result(messages: count)
    }
}
