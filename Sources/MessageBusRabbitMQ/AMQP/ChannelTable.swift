/// Values by channel number. Channels are small numbers handed out from 3 upwards, so an array indexed by channel
/// serves the lookup every incoming frame needs without hashing.
struct ChannelTable<Value> {
    private var slots: [Value?] = []

    subscript(channel: UInt16) -> Value? {
        get { Int(channel) < self.slots.count ? self.slots[Int(channel)] : nil }
        set {
            let index = Int(channel)
            if index >= self.slots.count {
                guard newValue != nil else { return }
                self.grow(to: index)
            }
            self.slots[index] = newValue
        }
        // In place, so that a message assembled from its frames is not copied for every body frame.
        _modify {
            let index = Int(channel)
            if index >= self.slots.count { self.grow(to: index) }
            yield &self.slots[index]
        }
    }

    private mutating func grow(to index: Int) {
        self.slots.append(contentsOf: repeatElement(nil, count: index - self.slots.count + 1))
    }

    mutating func removeAll() {
        self.slots.removeAll(keepingCapacity: true)
    }
}
