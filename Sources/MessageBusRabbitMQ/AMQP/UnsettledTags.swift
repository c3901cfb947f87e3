/// The delivery tags of one channel that await settlement.
///
/// The broker numbers a channel's deliveries 1, 2, 3, …, so the unsettled ones lie in a window that starts at the
/// oldest unsettled tag: one bit per tag, no hashing. Settling finds which of a batch's tags can go as one
/// `multiple` acknowledgement (every tag below the oldest still unsettled) and which must go one by one.
struct UnsettledTags {
    /// The tag of bit 0 of `words[0]`; every tag below it is settled.
    private(set) var base: UInt64 = 1
    private var words: [UInt64] = []
    /// The tag after the newest one inserted.
    private var end: UInt64 = 1
    private(set) var count = 0

    /// Records a delivery; tags must arrive in increasing order (gaps, such as a `basic.get` on another queue's
    /// turn, are allowed).
    mutating func insert(_ tag: UInt64) {
        guard tag >= self.end else { return }  // AMQP 0-9-1 numbers a channel's deliveries in increasing order
        let offset = Int(tag - self.base)
        while offset / 64 >= self.words.count { self.words.append(0) }
        self.words[offset / 64] |= 1 << UInt64(offset % 64)
        self.end = tag + 1
        self.count += 1
    }

    /// Whether `tag` is delivered and not yet settled.
    func contains(_ tag: UInt64) -> Bool {
        guard tag >= self.base, tag < self.end else { return false }
        let offset = Int(tag - self.base)
        return self.words[offset / 64] & (1 << UInt64(offset % 64)) != 0
    }

    /// Settles those of `tags` that are unsettled.
    ///
    /// - Returns: `upTo`, the highest settled tag below the oldest tag still unsettled, to send with `multiple`
    ///   when `together` (how many of the batch it covers) is above one; and the batch's other tags, in order,
    ///   to send one by one.
    mutating func settle(_ tags: [UInt64]) -> (upTo: UInt64?, together: Int, singles: [UInt64]) {
        var settled: [UInt64] = []
        settled.reserveCapacity(tags.count)
        for tag in tags where self.contains(tag) {
            let offset = Int(tag - self.base)
            self.words[offset / 64] &= ~(1 << UInt64(offset % 64))
            self.count -= 1
            settled.append(tag)
        }
        self.dropSettledPrefix()
        var upTo: UInt64?
        var together = 0
        var singles: [UInt64] = []
        for tag in settled {
            if tag < self.base {
                upTo = max(upTo ?? tag, tag)
                together += 1
            } else {
                singles.append(tag)
            }
        }
        return (upTo, together, singles.sorted())
    }

    /// Forgets every tag (the channel is gone).
    mutating func removeAll() {
        self = UnsettledTags()
    }

    /// Moves `base` to the oldest unsettled tag (or the end), dropping whole settled words.
    private mutating func dropSettledPrefix() {
        var dropped = 0
        while dropped < self.words.count, self.words[dropped] == 0 { dropped += 1 }
        if dropped == self.words.count {
            self.words.removeAll(keepingCapacity: true)
            self.base = self.end
            return
        }
        if dropped > 0 {
            self.words.removeFirst(dropped)
            self.base += UInt64(dropped * 64)
        }
        // Within the first word, the base is the lowest set bit; shift so that it becomes bit 0.
        let shift = self.words[0].trailingZeroBitCount
        guard shift > 0 else { return }
        for index in self.words.indices {
            let next = index + 1 < self.words.count ? self.words[index + 1] : 0
            self.words[index] = (self.words[index] >> UInt64(shift)) | (next << UInt64(64 - shift))
        }
        self.base += UInt64(shift)
        if let last = self.words.last, last == 0, Int(self.end - self.base) <= (self.words.count - 1) * 64 {
            self.words.removeLast()
        }
    }
}
