/// TLS and SASL settings; they choose librdkafka's `security.protocol` (`plaintext`, `ssl`, `sasl_plaintext` or
/// `sasl_ssl`).
///
/// Passwords and keys are never logged and never appear in an error message or ``description``.
public struct KafkaSecurity: Sendable, CustomStringConvertible {
    /// TLS settings.
    public struct TLS: Sendable {
        /// PEM file of the certificate authorities to trust (`ssl.ca.location`); the system store when `nil`.
        public var caLocation: String?
        /// PEM file of the client certificate, for mutual TLS (`ssl.certificate.location`).
        public var certificateLocation: String?
        /// PEM file of the client's private key (`ssl.key.location`).
        public var keyLocation: String?
        /// The private key's password (`ssl.key.password`). Secret.
        public var keyPassword: String?
        /// Whether the broker's host name must match its certificate
        /// (`ssl.endpoint.identification.algorithm=https`, the default) or is not checked (`none`).
        public var verifyHostname: Bool

        /// Creates TLS settings.
        public init(
            caLocation: String? = nil, certificateLocation: String? = nil, keyLocation: String? = nil,
            keyPassword: String? = nil, verifyHostname: Bool = true
        ) {
            self.caLocation = caLocation
            self.certificateLocation = certificateLocation
            self.keyLocation = keyLocation
            self.keyPassword = keyPassword
            self.verifyHostname = verifyHostname
        }
    }

    /// SASL settings.
    public struct SASL: Sendable {
        /// The mechanism (`sasl.mechanism`).
        public var mechanism: KafkaSASLMechanism
        /// The user name (`sasl.username`), for PLAIN and SCRAM.
        public var username: String?
        /// The password (`sasl.password`), for PLAIN and SCRAM. Secret.
        public var password: String?
        /// For OAUTHBEARER: fetches a token whenever librdkafka needs one (at start and before the current one
        /// expires; `rd_kafka_conf_set_oauthbearer_token_refresh_cb`). It runs in a task of its own; a thrown
        /// error is reported to librdkafka, which retries.
        public var tokenProvider: (@Sendable () async throws -> KafkaOAuthBearerToken)?

        /// Creates SASL settings.
        public init(
            mechanism: KafkaSASLMechanism, username: String? = nil, password: String? = nil,
            tokenProvider: (@Sendable () async throws -> KafkaOAuthBearerToken)? = nil
        ) {
            self.mechanism = mechanism
            self.username = username
            self.password = password
            self.tokenProvider = tokenProvider
        }
    }

    /// TLS, or `nil` for a plaintext connection.
    public var tls: TLS?
    /// SASL authentication, or `nil` for none.
    public var sasl: SASL?

    /// Creates security settings; plaintext and unauthenticated by default.
    public init(tls: TLS? = nil, sasl: SASL? = nil) {
        self.tls = tls
        self.sasl = sasl
    }

    /// The security protocol and mechanism, never a secret: for example `sasl_ssl (SCRAM-SHA-512 as alice)`.
    public var description: String {
        let base = self.securityProtocol
        guard let sasl else { return base }
        return "\(base) (\(sasl.mechanism.rawValue)\(sasl.username.map { " as \($0)" } ?? ""))"
    }

    /// librdkafka's `security.protocol` for these settings.
    var securityProtocol: String {
        switch (self.tls != nil, self.sasl != nil) {
        case (false, false): "plaintext"
        case (true, false): "ssl"
        case (false, true): "sasl_plaintext"
        case (true, true): "sasl_ssl"
        }
    }

    /// The librdkafka properties these settings set.
    var properties: [(name: String, value: String)] {
        var properties: [(name: String, value: String)] = [("security.protocol", self.securityProtocol)]
        if let tls {
            if let value = tls.caLocation { properties.append(("ssl.ca.location", value)) }
            if let value = tls.certificateLocation { properties.append(("ssl.certificate.location", value)) }
            if let value = tls.keyLocation { properties.append(("ssl.key.location", value)) }
            if let value = tls.keyPassword { properties.append(("ssl.key.password", value)) }
            properties.append(("ssl.endpoint.identification.algorithm", tls.verifyHostname ? "https" : "none"))
        }
        if let sasl {
            properties.append(("sasl.mechanism", sasl.mechanism.rawValue))
            if let value = sasl.username { properties.append(("sasl.username", value)) }
            if let value = sasl.password { properties.append(("sasl.password", value)) }
        }
        return properties
    }
}
