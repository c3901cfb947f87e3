/// TLS settings for `amqps://` connections.
///
/// File paths are read by OpenSSL (through rabbitmq-c) when a connection opens. Key material never appears in a
/// description or a log line.
public struct RabbitMQTLSConfiguration: Sendable, Hashable {
    /// A PEM file with the certificate authorities that sign the broker's certificate; the system's default
    /// trust store when `nil`.
    public var caCertificatePath: String?
    /// A PEM client certificate, for brokers that authenticate clients by certificate.
    public var clientCertificatePath: String?
    /// The PEM private key of ``clientCertificatePath``.
    public var clientKeyPath: String?
    /// Whether the broker's certificate must chain to a trusted authority. On by default; turn it off only in tests.
    public var verifyPeer: Bool
    /// Whether the broker's certificate must name the host connected to. On by default.
    public var verifyHostname: Bool

    /// Creates TLS settings; peer and hostname verification are on by default.
    ///
    /// - Parameters:
    ///   - caCertificatePath: The trusted authorities (PEM).
    ///   - clientCertificatePath: The client certificate (PEM).
    ///   - clientKeyPath: The client certificate's private key (PEM).
    ///   - verifyPeer: Whether to verify the broker's certificate chain.
    ///   - verifyHostname: Whether to verify the broker's host name.
    public init(
        caCertificatePath: String? = nil,
        clientCertificatePath: String? = nil,
        clientKeyPath: String? = nil,
        verifyPeer: Bool = true,
        verifyHostname: Bool = true
    ) {
        self.caCertificatePath = caCertificatePath
        self.clientCertificatePath = clientCertificatePath
        self.clientKeyPath = clientKeyPath
        self.verifyPeer = verifyPeer
        self.verifyHostname = verifyHostname
    }
}
