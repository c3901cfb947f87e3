#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// A TCP proxy on 127.0.0.1 between a client and a broker, for chaos tests: it forwards both ways and, on
/// command, resets every connection (``cutAll()``), stalls, slows or refuses them (``fault``).
///
/// One dedicated thread runs a `poll(2)` loop over every socket, so the proxy never blocks Swift concurrency's
/// threads; the other methods only change shared state and wake that thread through a pipe.
package final class TCPProxy: Sendable {
    /// The port clients connect to.
    package let port: Int
    /// The broker's port on 127.0.0.1.
    package let upstreamPort: Int

    private struct Control {
        var fault: TCPProxyFault = .none
        var cuts = 0
        var stopping = false
        var exited = false
        var exitWaiters: [CheckedContinuation<Void, Never>] = []
        var connections = 0
        var accepted = 0
    }

    private let control = Mutex(Control())
    private let wakeReader: Int32
    private let wakeWriter: Int32

    /// Starts forwarding from a free loopback port to 127.0.0.1:`upstreamPort`.
    ///
    /// - Parameter listenPort: The port to listen on; 0 (the default) picks a free one.
    /// - Throws: when the listening socket cannot be made.
    package init(upstreamPort: Int, listenPort: Int = 0, name: String = "tcp-proxy") throws {
        let listener = try LoopbackSocket.listening(port: listenPort)
        var descriptors: [Int32] = [0, 0]
        guard pipe(&descriptors) == 0 else {
            close(listener.descriptor)
            throw LoopbackSocket.Failure("pipe")
        }
        LoopbackSocket.setNonBlocking(descriptors[0])
        LoopbackSocket.setNonBlocking(descriptors[1])
        self.port = listener.port
        self.upstreamPort = upstreamPort
        self.wakeReader = descriptors[0]
        self.wakeWriter = descriptors[1]
        let thread = Thread { [self, wake = descriptors[0]] in
            var loop = ProxyLoop(listener: listener.descriptor, wake: wake, upstreamPort: upstreamPort)
            loop.run(proxy: self)
            self.finish()
        }
        thread.name = name
        thread.start()
    }

    /// What the proxy does to traffic now; setting it takes effect within one turn of its loop.
    package var fault: TCPProxyFault {
        get { self.control.withLock { $0.fault } }
        set {
            self.control.withLock { $0.fault = newValue }
            self.wake()
        }
    }

    /// How many client connections are open through the proxy.
    package var openConnections: Int { self.control.withLock { $0.connections } }

    /// How many client connections the proxy accepted in all.
    package var acceptedConnections: Int { self.control.withLock { $0.accepted } }

    /// Resets every open connection, both sides (the client and the broker see "connection reset"); new ones are
    /// accepted as the current ``fault`` allows.
    package func cutAll() {
        self.control.withLock { $0.cuts += 1 }
        self.wake()
    }

    /// Closes every connection and the listener, and returns once the proxy's thread has ended.
    package func stop() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let exited = self.control.withLock { control in
                control.stopping = true
                if control.exited { return true }
                control.exitWaiters.append(continuation)
                return false
            }
            if exited { continuation.resume() } else { self.wake() }
        }
    }

    /// The loop's view of the shared state, read once per turn.
    func snapshot(connections: Int, accepted: Int) -> (fault: TCPProxyFault, cuts: Int, stopping: Bool) {
        self.control.withLock { control in
            control.connections = connections
            control.accepted = accepted
            return (control.fault, control.cuts, control.stopping)
        }
    }

    private func finish() {
        // Under the lock, so that no `wake()` writes to a closed (or reused) descriptor.
        let waiters = self.control.withLock { control in
            control.exited = true
            control.connections = 0
            close(self.wakeReader)
            close(self.wakeWriter)
            defer { control.exitWaiters = [] }
            return control.exitWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    private func wake() {
        self.control.withLock { control in
            guard !control.exited else { return }
            var byte: UInt8 = 1
            _ = write(self.wakeWriter, &byte, 1)
        }
    }
}
