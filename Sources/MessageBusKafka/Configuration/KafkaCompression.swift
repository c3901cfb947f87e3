/// How produced batches are compressed (librdkafka `compression.codec`).
public enum KafkaCompression: String, Sendable, Hashable {
    /// No compression (the default).
    case none
    /// gzip.
    case gzip
    /// Snappy.
    case snappy
    /// LZ4.
    case lz4
    /// Zstandard.
    case zstd
}
