#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Ports on 127.0.0.1, for tests that start servers of their own.
package enum LoopbackPort {
    /// A port nothing listens on now (the kernel's pick; free until someone else takes it).
    package static func free() throws -> Int {
        let listener = try LoopbackSocket.listening(port: 0)
        close(listener.descriptor)
        return listener.port
    }

    /// Whether something accepts connections on `port`. A loopback connect is answered at once (accepted or
    /// refused), so this does not wait on the network.
    package static func isOpen(_ port: Int) -> Bool {
        guard let descriptor = try? LoopbackSocket.connected(toPort: port) else { return false }
        close(descriptor)
        return true
    }
}
