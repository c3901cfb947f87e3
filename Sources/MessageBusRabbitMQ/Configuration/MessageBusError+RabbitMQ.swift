import MessageBus

extension MessageBusError {
    /// An out-of-range or unknown setting, naming the key, the offending value and what was expected.
    static func invalidSetting(key: String, value: String, expected: String) -> MessageBusError {
        MessageBusError(.invalidConfiguration, "invalid value '\(value)' for '\(key)': expected \(expected)")
    }

    /// A call on a bus or subscription that has been closed.
    static func closed(_ what: String) -> MessageBusError {
        MessageBusError(.closed, "\(what) is closed; open a new one to continue")
    }
}
