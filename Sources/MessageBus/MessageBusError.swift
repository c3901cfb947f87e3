/// The one error type every MessageBus backend throws.
///
/// Match on ``code``; read ``message`` for a human explanation that names the offending input. Neither
/// ``description`` nor ``message`` ever contains a credential: URLs are redacted before they are put in a message.
public struct MessageBusError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure this is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case invalidURL
            case invalidConfiguration
            case unsupported
            case connectionFailed
            case authenticationFailed
            case tlsFailed
            case unroutable
            case unknownDestination
            case messageTooLarge
            case timeout
            case closed
            case decodingFailed
            case encodingFailed
            case alreadySettled
            case transactionAborted
            case brokerError
        }

        private let base: Base

        /// A URL that cannot be parsed or names no known backend.
        public static let invalidURL = Code(base: .invalidURL)
        /// A configuration key or value that is unknown or out of range.
        public static let invalidConfiguration = Code(base: .invalidConfiguration)
        /// A feature or guarantee the backend cannot provide; refused at configuration time.
        public static let unsupported = Code(base: .unsupported)
        /// The broker could not be reached.
        public static let connectionFailed = Code(base: .connectionFailed)
        /// The broker refused the credentials.
        public static let authenticationFailed = Code(base: .authenticationFailed)
        /// The TLS handshake failed: an untrusted or mismatched certificate, or a client certificate the broker
        /// refused.
        public static let tlsFailed = Code(base: .tlsFailed)
        /// The broker could not route a message to any queue or partition.
        public static let unroutable = Code(base: .unroutable)
        /// The destination does not exist and the broker will not create it.
        public static let unknownDestination = Code(base: .unknownDestination)
        /// The message exceeds the broker's or the client's size limit.
        public static let messageTooLarge = Code(base: .messageTooLarge)
        /// An operation did not complete within its deadline.
        public static let timeout = Code(base: .timeout)
        /// The bus or subscription was closed before or during the call.
        public static let closed = Code(base: .closed)
        /// A payload could not be decoded into the requested type.
        public static let decodingFailed = Code(base: .decodingFailed)
        /// A value could not be encoded into a payload.
        public static let encodingFailed = Code(base: .encodingFailed)
        /// A delivery was acknowledged, rejected or requeued a second time, or after its subscription ended (it was
        /// cancelled, or its connection was lost): the group gets it again.
        public static let alreadySettled = Code(base: .alreadySettled)
        /// A transaction was aborted; nothing it published is visible and its consumed deliveries come back.
        public static let transactionAborted = Code(base: .transactionAborted)
        /// The broker or C library reported an error not covered by another code.
        public static let brokerError = Code(base: .brokerError)

        /// The code's name.
        public var description: String { self.base.rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// A human explanation naming the offending input (with credentials redacted).
    public var message: String
    /// The error this one wraps, if any.
    public var underlying: (any Error)?

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: The kind of failure.
    ///   - message: An explanation naming the offending input; never put a credential in it.
    ///   - underlying: The error this one wraps.
    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// Whether retrying the same operation later may succeed (a broker that is down, a timeout).
    public var isRetriable: Bool {
        switch self.code {
        case .connectionFailed, .timeout, .brokerError, .transactionAborted: true
        default: false
        }
    }

    /// `MessageBusError.<code>: <message>`.
    public var description: String {
        "MessageBusError.\(self.code): \(self.message)"
    }

    /// The description plus the wrapped error.
    public var debugDescription: String {
        guard let underlying else { return self.description }
        return "\(self.description) (underlying: \(String(reflecting: underlying)))"
    }
}

extension MessageBusError {
    /// A ``Code/closed`` error: "`what` is closed; open a new one to continue".
    public static func closed(_ what: String) -> MessageBusError {
        MessageBusError(.closed, "\(what) is closed; open a new one to continue")
    }

    /// An ``Code/invalidConfiguration`` error naming the setting, the value given and what was expected.
    public static func invalidConfiguration(key: String, value: String, expected: String) -> MessageBusError {
        MessageBusError(.invalidConfiguration, "invalid value '\(value)' for '\(key)': expected \(expected)")
    }
}
