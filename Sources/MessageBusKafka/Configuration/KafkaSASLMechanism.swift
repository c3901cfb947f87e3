/// A SASL mechanism (librdkafka `sasl.mechanism`).
public enum KafkaSASLMechanism: String, Sendable, Hashable {
    /// `PLAIN`: user name and password, in the clear unless TLS is on.
    case plain = "PLAIN"
    /// `SCRAM-SHA-256`.
    case scramSHA256 = "SCRAM-SHA-256"
    /// `SCRAM-SHA-512`.
    case scramSHA512 = "SCRAM-SHA-512"
    /// `OAUTHBEARER`: configure the token source with `sasl.oauthbearer.*` properties in
    /// ``KafkaConfiguration/additionalProperties`` (for example `sasl.oauthbearer.method=oidc`).
    case oauthBearer = "OAUTHBEARER"
}
