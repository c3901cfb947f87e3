import Foundation
import Testing

/// Decides whether the integration suites, which need a real broker, run.
///
/// They run by default, and a broker that does not answer makes them fail (see `BrokerUnreachable`):
/// a missing broker must never turn into a silent pass. `MESSAGEBUS_SKIP_INTEGRATION=1` is the one
/// explicit opt-out, for machines that cannot run brokers at all; the run then says so loudly on stderr.
enum IntegrationGate {
    /// The variable that opts out of the integration suites.
    static let skipVariable = "MESSAGEBUS_SKIP_INTEGRATION"

    /// `true` unless the opt-out variable is set to `1` or `true`. Evaluated once per test process; the
    /// first evaluation prints the banner when the suites are skipped.
    static let isEnabled: Bool = {
        let value = ProcessInfo.processInfo.environment[skipVariable]?.lowercased() ?? ""
        let skip = value == "1" || value == "true"
        if skip {
            let banner = """

                ************************************************************************************
                * \(skipVariable)=\(value): the RabbitMQ INTEGRATION tests are SKIPPED.
                * Nothing here was checked against a real broker. Unset it to run them
                * (`make test` starts the brokers; or `make brokers-start` / `docker compose up -d`).
                ************************************************************************************

                """
            FileHandle.standardError.write(Data(banner.utf8))
        }
        return !skip
    }()

    /// The comment Swift Testing shows for a skipped suite.
    static let skipComment: Comment = "MESSAGEBUS_SKIP_INTEGRATION=1 is set: an explicit opt-out of integration tests"
}
