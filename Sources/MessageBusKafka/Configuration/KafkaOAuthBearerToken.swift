public import Foundation

/// A SASL/OAUTHBEARER token, as a ``KafkaSecurity/SASL/tokenProvider`` returns it.
public struct KafkaOAuthBearerToken: Sendable {
    /// The token (typically a JWT). Secret: never logged.
    public var value: String
    /// When it expires; librdkafka asks for a new one at 80% of its lifetime.
    public var expiration: Date
    /// The principal the token authenticates.
    public var principal: String
    /// SASL extensions (key-value pairs), if the broker expects any.
    public var extensions: [String: String]

    /// Creates a token.
    public init(value: String, expiration: Date, principal: String, extensions: [String: String] = [:]) {
        self.value = value
        self.expiration = expiration
        self.principal = principal
        self.extensions = extensions
    }
}
