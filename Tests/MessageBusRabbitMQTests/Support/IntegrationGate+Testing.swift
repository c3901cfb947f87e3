import MessageBusIntegrationSupport
import Testing

extension IntegrationGate {
    /// The comment Swift Testing shows for a skipped suite.
    static var skipComment: Comment { Comment(rawValue: skipReason) }
}
