#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `poll(2)` loop of a ``TCPProxy``, on the proxy's own thread: accepts clients, connects each to the
/// broker, and moves bytes both ways as the current fault allows.
struct ProxyLoop {
    /// One proxied connection: the client's socket, the broker's, and the bytes in flight each way.
    private struct Pair {
        var client: Int32
        var upstream: Int32
        var toUpstream = ProxyDirection()
        var toClient = ProxyDirection()
        var failed = false

        var finished: Bool {
            self.failed || (self.toUpstream.destinationShutDown && self.toClient.destinationShutDown)
        }
    }

    private let listener: Int32
    private let wake: Int32
    private let upstreamPort: Int
    private var pairs: [Pair] = []
    private var accepted = 0
    private var cutsSeen = 0
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    init(listener: Int32, wake: Int32, upstreamPort: Int) {
        self.listener = listener
        self.wake = wake
        self.upstreamPort = upstreamPort
    }

    mutating func run(proxy: TCPProxy) {
        while true {
            let state = proxy.snapshot(connections: self.pairs.count, accepted: self.accepted)
            if state.stopping { break }
            if state.cuts != self.cutsSeen {
                self.cutsSeen = state.cuts
                self.closeAll(reset: true)
            }
            self.turn(fault: state.fault)
        }
        self.closeAll(reset: false)
        close(self.listener)
    }

    private mutating func turn(fault: TCPProxyFault) {
        let forwarding = fault != .stall
        var now = ContinuousClock.now
        var descriptors = [pollfd(fd: self.listener, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: self.wake, events: Int16(POLLIN), revents: 0)]
        var timeout = Duration.milliseconds(200)
        for pair in self.pairs {
            descriptors.append(self.interest(pair.client, reading: pair.toUpstream, writing: pair.toClient,
                                             forwarding: forwarding, now: now))
            descriptors.append(self.interest(pair.upstream, reading: pair.toClient, writing: pair.toUpstream,
                                             forwarding: forwarding, now: now))
            for release in [pair.toClient.nextRelease(after: now), pair.toUpstream.nextRelease(after: now)] {
                if let release, forwarding { timeout = min(timeout, release - now) }
            }
        }
        let milliseconds = Int32(max(1, (timeout / .milliseconds(1)).rounded(.up)))
        guard poll(&descriptors, nfds_t(descriptors.count), milliseconds) >= 0 else { return }
        now = ContinuousClock.now
        if descriptors[1].revents != 0 { self.drainWake() }
        for index in self.pairs.indices where forwarding {
            let clientEvents = descriptors[2 + 2 * index].revents
            let upstreamEvents = descriptors[3 + 2 * index].revents
            var pair = self.pairs[index]
            self.move(&pair, events: clientEvents, fromClient: true, fault: fault, now: now)
            self.move(&pair, events: upstreamEvents, fromClient: false, fault: fault, now: now)
            self.pairs[index] = pair
        }
        for index in self.pairs.indices where self.pairs[index].finished {
            let pair = self.pairs[index]
            if pair.failed { LoopbackSocket.reset(pair.client); LoopbackSocket.reset(pair.upstream) }
            else { close(pair.client); close(pair.upstream) }
        }
        self.pairs.removeAll(where: \.finished)
        if descriptors[0].revents & Int16(POLLIN) != 0 { self.acceptAll(fault: fault) }
    }

    private func interest(
        _ descriptor: Int32, reading: ProxyDirection, writing: ProxyDirection, forwarding: Bool,
        now: ContinuousClock.Instant
    ) -> pollfd {
        var events: Int16 = 0
        if forwarding && reading.acceptsMore { events |= Int16(POLLIN) }
        if forwarding && writing.hasReleased(at: now) { events |= Int16(POLLOUT) }
        // A socket with nothing to wait for is left out (negative descriptor): poll would otherwise report its
        // hang-up or error on every turn and spin while the proxy stalls.
        return pollfd(fd: events == 0 ? -1 : descriptor, events: events, revents: 0)
    }

    /// Reads from one side of `pair` into its direction, then writes what is due to the other side.
    private mutating func move(
        _ pair: inout Pair, events: Int16, fromClient: Bool, fault: TCPProxyFault, now: ContinuousClock.Instant
    ) {
        let source = fromClient ? pair.client : pair.upstream
        let destination = fromClient ? pair.upstream : pair.client
        var direction = fromClient ? pair.toUpstream : pair.toClient
        defer { if fromClient { pair.toUpstream = direction } else { pair.toClient = direction } }
        if events & Int16(POLLERR) != 0 { pair.failed = true; return }
        if events & Int16(POLLIN | POLLHUP) != 0 && direction.acceptsMore {
            let count = self.buffer.withUnsafeMutableBytes { read(source, $0.baseAddress!, $0.count) }
            if count > 0 {
                var latency = Duration.zero
                var rate: Int?
                if case .slow(let delay, let bytesPerSecond) = fault { latency = delay; rate = bytesPerSecond }
                direction.append(Array(self.buffer[0..<count]), latency: latency, bytesPerSecond: rate, now: now)
            } else if count == 0 {
                direction.sourceClosed = true
            } else if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR {
                pair.failed = true
                return
            }
        }
        if !direction.flush(to: destination, now: now) { pair.failed = true; return }
        if direction.sourceClosed && direction.pending == 0 && !direction.destinationShutDown {
            shutdown(destination, Int32(SHUT_WR))
            direction.destinationShutDown = true
        }
    }

    private mutating func acceptAll(fault: TCPProxyFault) {
        while true {
            let client = accept(self.listener, nil, nil)
            guard client >= 0 else { return }
            self.accepted += 1
            if fault == .refuse {
                LoopbackSocket.reset(client)
                continue
            }
            guard let upstream = try? LoopbackSocket.connected(toPort: self.upstreamPort) else {
                LoopbackSocket.reset(client)
                continue
            }
            LoopbackSocket.setNonBlocking(client)
            self.pairs.append(Pair(client: client, upstream: upstream))
        }
    }

    private mutating func closeAll(reset: Bool) {
        for pair in self.pairs {
            if reset { LoopbackSocket.reset(pair.client); LoopbackSocket.reset(pair.upstream) }
            else { close(pair.client); close(pair.upstream) }
        }
        self.pairs.removeAll()
    }

    private func drainWake() {
        var bytes = [UInt8](repeating: 0, count: 64)
        while read(self.wake, &bytes, bytes.count) > 0 {}
    }
}
