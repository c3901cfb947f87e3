import Foundation

/// Decides whether the integration suites, which need a real broker, run.
///
/// They run by default, and a broker that does not answer makes them fail (see ``BrokerUnreachable``):
/// a missing broker must never turn into a silent pass. `MESSAGEBUS_SKIP_INTEGRATION=1` is the one
/// explicit opt-out, for machines that cannot run brokers at all; the run then says so loudly on stderr.
package enum IntegrationGate {
    /// The variable that opts out of the integration suites.
    package static let skipVariable = "MESSAGEBUS_SKIP_INTEGRATION"

    /// Why a suite is skipped, for the test report.
    package static let skipReason = "\(skipVariable)=1 is set: an explicit opt-out of integration tests"

    /// `true` unless the opt-out variable is set to `1` or `true`. Evaluated once per test process; the
    /// first evaluation prints the banner when the suites are skipped.
    package static let isEnabled: Bool = {
        let value = ProcessInfo.processInfo.environment[skipVariable]?.lowercased() ?? ""
        let skip = value == "1" || value == "true"
        if skip {
            let banner = """

                ************************************************************************************
                * \(skipVariable)=\(value): the Kafka and RabbitMQ INTEGRATION tests are SKIPPED.
                * Nothing there was checked against a real broker. Unset it to run them
                * (`make test` starts the brokers; or `make brokers-start` / `docker compose up -d`).
                ************************************************************************************

                """
            FileHandle.standardError.write(Data(banner.utf8))
        }
        return !skip
    }()
}
