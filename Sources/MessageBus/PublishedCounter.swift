import CoreMetrics

/// The `messagebus.published` counter of one bus, dimensioned by backend: every backend counts the messages it
/// published (confirmed or handed over for a later flush) the same way.
package struct PublishedCounter: Sendable {
    private let counter: Counter

    /// The counter for `backend`, reported through the configuration's metrics factory or the global one.
    package init(backend: String, configuration: MessageBusConfiguration) {
        self.counter = Counter(
            label: "messagebus.published", dimensions: [("backend", backend)],
            factory: configuration.metricsFactory ?? MetricsSystem.factory)
    }

    /// Counts `count` published messages.
    package func record(_ count: Int) {
        self.counter.increment(by: Int64(count))
    }
}
