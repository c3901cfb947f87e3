import ArgumentParser
import Foundation
import Logging
import MessageBus

/// Runs the SDK's main job on each URL: publish orders, consume them with a handler that acknowledges, retries
/// and dead-letters, and report what happened.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Publish orders, consume, acknowledge, retry and dead-letter them on each backend; print a report.")

    @Option(name: .long, help: "A broker URL; repeat for several backends.")
    var url: [String] = ["memory://demo"]

    @Option(name: .long, help: "How many orders to publish.")
    var orders = 10

    @Flag(name: .long, help: "Log at debug level to standard error.")
    var verbose = false

    func run() async throws {
        var failures: [String] = []
        for url in self.url {
            let target = BusTarget(url: url, verbose: self.verbose)
            do {
                let report = try await OrderDemo(orderCount: self.orders).run(on: target)
                print(report.summary(url: try MessageBusURL(url)))
            } catch {
                failures.append(url)
                print("demo on \(MessageBusURL.redact(url)) failed: \(error)")
            }
        }
        if !failures.isEmpty { throw ExitCode.failure }
    }
}
