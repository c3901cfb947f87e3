/// A first-in first-out queue on an array with a moving head, compacted when half is consumed.
///
/// The target does not depend on swift-collections, and these queues (confirm window, deliveries) only ever
/// append at the back and remove at the front.
struct FIFO<Element> {
    private var storage: [Element] = []
    private var head = 0

    var isEmpty: Bool { self.head == self.storage.count }
    var count: Int { self.storage.count - self.head }
    var first: Element? { self.isEmpty ? nil : self.storage[self.head] }

    mutating func append(_ element: Element) {
        self.storage.append(element)
    }

    mutating func append(contentsOf elements: some Sequence<Element>) {
        self.storage.append(contentsOf: elements)
    }

    /// Puts `element` back at the front (a command that could not run yet).
    mutating func prepend(_ element: Element) {
        if self.head > 0 {
            self.head -= 1
            self.storage[self.head] = element
        } else {
            self.storage.insert(element, at: 0)
        }
    }

    mutating func popFirst() -> Element? {
        guard !self.isEmpty else { return nil }
        let element = self.storage[self.head]
        self.head += 1
        if self.head >= 1024 && self.head * 2 >= self.storage.count {
            self.storage.removeFirst(self.head)
            self.head = 0
        }
        return element
    }

    /// Removes and returns every element, oldest first.
    mutating func removeAll() -> [Element] {
        let all = Array(self.storage[self.head...])
        self.storage.removeAll(keepingCapacity: true)
        self.head = 0
        return all
    }

    /// Removes the elements that match, keeping the order of the rest.
    mutating func removeAll(where shouldBeRemoved: (Element) -> Bool) {
        self.storage.removeSubrange(..<self.head)
        self.head = 0
        self.storage.removeAll(where: shouldBeRemoved)
    }

    /// The elements, oldest first, without removing them.
    var elements: ArraySlice<Element> { self.storage[self.head...] }
}
