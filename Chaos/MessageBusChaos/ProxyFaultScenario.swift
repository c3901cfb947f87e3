import Foundation
import MessageBus
import MessageBusIntegrationSupport

/// A fault on the network path between the clients and the broker, made by a ``TCPProxy``: every connection
/// reset (and new ones refused for a second), a 5 s stall, or a slow link.
struct ProxyFaultScenario {
    enum Fault: String, CaseIterable {
        case cut, stall, slow
    }

    var backend: ChaosBackend
    var fault: Fault
    var settings: ChaosSettings

    var name: String {
        switch self.fault {
        case .cut: "\(self.backend) proxy: connections reset, refused 1 s"
        case .stall: "\(self.backend) proxy: stalled 5 s"
        case .slow: "\(self.backend) proxy: slowed \(ChaosTable.seconds(self.settings.slowLink)) (100 ms, 64 KiB/s)"
        }
    }

    func run(_ environment: ChaosEnvironment) async -> ChaosRow {
        let destination = "chaos.\(self.fault).\(UUID().uuidString.prefix(8).lowercased())"
        var tansu: TansuInstance?
        let proxy: TCPProxy
        do {
            switch self.backend {
            case .rabbitMQ:
                proxy = try TCPProxy(upstreamPort: environment.amqpPort, name: "chaos-amqp-proxy")
            case .kafka:
                let instance = try await TansuInstance.start(
                    binary: environment.tansuBinary, log: environment.logPath("tansu-\(self.fault)"))
                tansu = instance
                proxy = instance.proxy
            }
        } catch {
            return .failed(self.name, error)
        }
        let row: ChaosRow
        do {
            let publisher = try await self.bus(environment, proxy: proxy, label: "publisher")
            let consumer = try await self.bus(environment, proxy: proxy, label: "consumer")
            let run = FaultRun(scenario: self.name, warmUp: self.settings.warmUp)
            row = await run.run(publisher: publisher, consumer: consumer, destination: destination) {
                try await self.inject(into: proxy)
            }
        } catch {
            row = .failed(self.name, error)
        }
        if let tansu { await tansu.stop() } else { await proxy.stop() }
        return row
    }

    private func bus(_ environment: ChaosEnvironment, proxy: TCPProxy, label: String) async throws -> any MessageBus {
        switch self.backend {
        case .rabbitMQ: try await environment.rabbitMQBus(port: proxy.port, label: label)
        case .kafka: try await environment.kafkaBus(bootstrap: "127.0.0.1:\(proxy.port)", label: label)
        }
    }

    private func inject(into proxy: TCPProxy) async throws -> [String] {
        let before = proxy.acceptedConnections
        switch self.fault {
        case .cut:
            let open = proxy.openConnections
            proxy.fault = .refuse
            proxy.cutAll()
            try await Task.sleep(for: .seconds(1))
            proxy.fault = .none
            return ["\(open) connections reset; \(proxy.acceptedConnections - before) connection attempts refused"]
        case .stall:
            proxy.fault = .stall
            try await Task.sleep(for: .seconds(5))
            proxy.fault = .none
            return ["\(proxy.acceptedConnections - before) new connections during the stall"]
        case .slow:
            proxy.fault = .slow(latency: .milliseconds(100), bytesPerSecond: 64 * 1024)
            try await Task.sleep(for: self.settings.slowLink)
            proxy.fault = .none
            return []
        }
    }
}
