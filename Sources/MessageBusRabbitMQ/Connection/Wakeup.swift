#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A self-pipe the owner thread polls next to its socket, so callers can wake it for new work without it
/// spinning. (A pipe rather than an eventfd: Swift's Glibc module does not export `eventfd`, and a pipe also
/// works on macOS.)
final class Wakeup: Sendable {
    /// The end the owner thread polls.
    let fileDescriptor: Int32
    private let writeDescriptor: Int32

    init() throws {
        var descriptors: [Int32] = [-1, -1]
        guard pipe(&descriptors) == 0 else { throw WakeupError(errno: errno) }
        for descriptor in descriptors {
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        }
        self.fileDescriptor = descriptors[0]
        self.writeDescriptor = descriptors[1]
    }

    deinit {
        closeDescriptor(self.fileDescriptor)
        closeDescriptor(self.writeDescriptor)
    }

    /// Wakes the owner thread. A full pipe already holds a pending wake-up, so a failed write loses nothing.
    func signal() {
        var byte: UInt8 = 1
        _ = write(self.writeDescriptor, &byte, 1)
    }

    /// Clears pending signals; called by the owner thread after it woke.
    func drain() {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { buffer in
            // A short read emptied the pipe; only a full one needs another look.
            while read(self.fileDescriptor, buffer.baseAddress, buffer.count) == buffer.count {}
        }
    }
}

/// The C library's `close`, which the name of a method would otherwise hide inside a type.
private func closeDescriptor(_ descriptor: Int32) {
    _ = close(descriptor)
}

/// The pipe could not be created (the process is out of file descriptors).
struct WakeupError: Error, CustomStringConvertible {
    var errno: Int32
    var description: String { "pipe failed: \(String(cString: strerror(self.errno)))" }
}
