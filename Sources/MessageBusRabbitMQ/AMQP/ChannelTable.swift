/// Consumers by channel number. Channels are small numbers handed out from 3 upwards, so an array indexed by
/// channel serves the lookup every incoming frame needs without hashing.
struct ChannelTable {
    private var slots: [AMQPConsumer?] = []

    subscript(channel: UInt16) -> AMQPConsumer? {
        get { Int(channel) < self.slots.count ? self.slots[Int(channel)] : nil }
        set {
            let index = Int(channel)
            if index >= self.slots.count {
                guard newValue != nil else { return }
                self.slots.append(contentsOf: repeatElement(nil, count: index - self.slots.count + 1))
            }
            self.slots[index] = newValue
        }
    }

    mutating func removeAll() {
        self.slots.removeAll(keepingCapacity: true)
    }
}
