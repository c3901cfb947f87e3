/// The metadata keys MessageBus adds to log lines.
public enum MessageBusLoggingKeys {
    /// The backend's name.
    public static let backend = "messagebus.backend"
    /// The destination of a publish or subscription.
    public static let destination = "messagebus.destination"
    /// The subscriber group.
    public static let group = "messagebus.group"
    /// The broker address, with credentials removed.
    public static let brokerURL = "messagebus.url"
    /// The client name given in the configuration.
    public static let clientName = "messagebus.client"
}
