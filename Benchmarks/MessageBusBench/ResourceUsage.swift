import Foundation

/// A snapshot of the clock and of this process's CPU time and voluntary context switches (`getrusage` of the
/// whole process, every thread included: the C libraries' own threads count as much as the caller's).
struct ResourceUsage: Sendable {
    var instant: ContinuousClock.Instant
    var cpu: Duration
    var voluntarySwitches: Int

    static func now() -> ResourceUsage {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func duration(_ time: timeval) -> Duration {
            .seconds(Int64(time.tv_sec)) + .microseconds(Int64(time.tv_usec))
        }
        return ResourceUsage(
            instant: .now, cpu: duration(usage.ru_utime) + duration(usage.ru_stime),
            voluntarySwitches: Int(usage.ru_nvcsw))
    }
}

extension Duration {
    /// The duration in seconds, as a floating-point number for rates.
    var seconds: Double {
        Double(self.components.seconds) + Double(self.components.attoseconds) / 1e18
    }
}
