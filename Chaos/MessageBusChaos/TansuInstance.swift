import Foundation
import MessageBusIntegrationSupport

/// A private Tansu broker (memory storage) behind a ``TCPProxy``: it listens on a free port and advertises the
/// proxy's, so that every connection a Kafka client makes after the bootstrap one, to the address the metadata
/// names, goes through the proxy too. The shared broker advertises its own address and cannot be proxied.
struct TansuInstance: Sendable {
    let process: SpawnedProcess
    let proxy: TCPProxy

    /// The address clients bootstrap from: the proxy's.
    var bootstrap: String { "127.0.0.1:\(self.proxy.port)" }

    static func start(binary: String, log: String) async throws -> TansuInstance {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw SpawnedProcessFailure(
                description: "no Tansu binary at \(binary): run scripts/bootstrap.sh, or set MESSAGEBUS_TANSU")
        }
        let listener = try LoopbackPort.free()
        let proxy = try TCPProxy(upstreamPort: listener, name: "chaos-kafka-proxy")
        let process = try SpawnedProcess(
            binary,
            [
                "broker", "--listener-url", "tcp://127.0.0.1:\(listener)",
                "--advertised-listener-url", "tcp://127.0.0.1:\(proxy.port)", "--storage-engine", "memory://tansu/",
            ],
            output: log, appending: true)
        let deadline = ContinuousClock.now + .seconds(30)
        while !LoopbackPort.isOpen(listener) {
            if await process.exitStatus(within: .zero) != nil || ContinuousClock.now > deadline {
                await process.terminate()
                await proxy.stop()
                throw SpawnedProcessFailure(description: "Tansu did not listen on \(listener) within 30 s; see \(log)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return TansuInstance(process: process, proxy: proxy)
    }

    func stop() async {
        await self.proxy.stop()
        await self.process.terminate()
    }
}
