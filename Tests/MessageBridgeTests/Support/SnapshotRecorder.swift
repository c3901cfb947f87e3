import MessageBridge
import Synchronization

/// Collects the progress snapshots a bridge reports, from whichever task reports them.
final class SnapshotRecorder: Sendable {
    private let snapshots = Mutex<[MessageBridgeProgress]>([])

    func append(_ snapshot: MessageBridgeProgress) {
        self.snapshots.withLock { $0.append(snapshot) }
    }

    var all: [MessageBridgeProgress] { self.snapshots.withLock { $0 } }
}
