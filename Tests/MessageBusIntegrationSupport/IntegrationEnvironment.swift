import Foundation

/// Reads where an integration suite's broker is, and makes names no earlier run used.
package enum IntegrationEnvironment {
    /// The value of `variable`, or `fallback` when it is unset or empty.
    package static func value(of variable: String, default fallback: String) -> String {
        let value = ProcessInfo.processInfo.environment[variable] ?? ""
        return value.isEmpty ? fallback : value
    }

    /// A name no earlier run used, for topics, queues and groups.
    package static func uniqueName(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.lowercased())"
    }
}
