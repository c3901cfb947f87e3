#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few socket calls ``TCPProxy`` needs, on IPv4 loopback addresses, with errors that say which call failed.
enum LoopbackSocket {
    /// A socket call that failed, with `errno`'s text.
    struct Failure: Error, CustomStringConvertible {
        var description: String

        init(_ call: String, errno code: Int32 = errno) {
            self.description = "\(call): \(String(cString: strerror(code)))"
        }
    }

    /// A non-blocking listening socket on 127.0.0.1; port 0 picks a free one. Returns the descriptor and the port.
    static func listening(port: Int = 0) throws -> (descriptor: Int32, port: Int) {
        let descriptor = try self.makeSocket()
        var reuse: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = self.loopback(port: port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(descriptor, 128) == 0 else {
            let failure = Failure("bind/listen on 127.0.0.1:\(port)")
            close(descriptor)
            throw failure
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        self.setNonBlocking(descriptor)
        return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
    }

    /// A blocking connect to 127.0.0.1:`port` (loopback answers at once), then non-blocking.
    static func connected(toPort port: Int) throws -> Int32 {
        let descriptor = try self.makeSocket()
        var address = self.loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let failure = Failure("connect to 127.0.0.1:\(port)")
            close(descriptor)
            throw failure
        }
        self.setNonBlocking(descriptor)
        var noDelay: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
        return descriptor
    }

    /// Closes with a TCP reset instead of an orderly FIN (SO_LINGER 0): the peer sees "connection reset", as
    /// when a network path breaks.
    static func reset(_ descriptor: Int32) {
        var option = linger(l_onoff: 1, l_linger: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
        close(descriptor)
    }

    static func setNonBlocking(_ descriptor: Int32) {
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
    }

    private static func makeSocket() throws -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw Failure("socket") }
        return descriptor
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}
