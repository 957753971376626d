extension TaskQueue {
    /// One priority class's entries in enqueue order: an array with a moving head.
    ///
    /// Every entry of a lane ages at the same rate, so the head (the oldest live entry) always has
    /// the lane's highest effective priority and the smallest sequence number: it is the lane's
    /// only candidate for the next dequeue, and entries ranked ahead of any given one form a prefix.
    ///
    /// A cancelled entry becomes a tombstone (no element) and is reclaimed when the head passes it
    /// or when tombstones outnumber live entries. Invariant: `head` is at a live slot or at the end.
    struct Lane: Sendable {
        struct Slot: Sendable {
            let id: TaskID
            /// The queue-wide enqueue order; increasing along the lane.
            let sequence: UInt64
            let enqueuedAt: ContinuousClock.Instant
            /// nil once the entry is dequeued or cancelled.
            var element: Element?
        }

        /// Reclaiming fewer slots than this at once is not worth the copy.
        private static var minimumReclaim: Int { 32 }

        private(set) var slots: [Slot] = []
        private(set) var head = 0
        private(set) var liveCount = 0
        /// Slots read while skipping tombstones or searching for a cancelled entry (for the
        /// complexity tests).
        private(set) var slotReads = 0

        /// The oldest live entry.
        var first: Slot? { head < slots.count ? slots[head] : nil }

        /// The live entries, oldest first.
        var liveSlots: some Sequence<Slot> {
            slots[head...].lazy.filter { $0.element != nil }
        }

        mutating func append(_ element: Element, id: TaskID, sequence: UInt64, enqueuedAt: ContinuousClock.Instant) {
            slots.append(Slot(id: id, sequence: sequence, enqueuedAt: enqueuedAt, element: element))
            liveCount += 1
        }

        /// Takes the oldest live entry. O(1) amortised.
        mutating func removeFirst() -> (slot: Slot, element: Element)? {
            guard head < slots.count, let element = slots[head].element else { return nil }
            let slot = slots[head]
            slots[head].element = nil
            liveCount -= 1
            advanceHead()
            return (slot, element)
        }

        /// Takes the entry with `sequence` out, leaving a tombstone. O(log n) for the search,
        /// O(1) amortised for the reclaiming.
        mutating func remove(sequence: UInt64) -> Element? {
            guard let index = index(of: sequence), let element = slots[index].element else { return nil }
            slots[index].element = nil
            liveCount -= 1
            if index == head {
                advanceHead()
            } else if slots.count - head - liveCount > liveCount + Self.minimumReclaim {
                // Tombstones behind a live head would otherwise pile up for as long as it stays.
                slotReads += slots.count - head
                slots = slots[head...].filter { $0.element != nil }
                head = 0
            }
            return element
        }

        /// The live or dead slot with `sequence`, by binary search (sequences increase along the lane).
        func slot(sequence: UInt64) -> Slot? {
            index(of: sequence).map { slots[$0] }
        }

        private func index(of sequence: UInt64) -> Int? {
            var low = head
            var high = slots.count
            while low < high {
                let middle = low + (high - low) / 2
                if slots[middle].sequence < sequence {
                    low = middle + 1
                } else {
                    high = middle
                }
            }
            return low < slots.count && slots[low].sequence == sequence ? low : nil
        }

        /// Moves the head past dequeued and cancelled slots, and drops the consumed prefix once it
        /// is at least half the array (so each slot is copied O(1) times on average).
        private mutating func advanceHead() {
            while head < slots.count, slots[head].element == nil {
                head += 1
                slotReads += 1
            }
            if head == slots.count {
                slots.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= Self.minimumReclaim, head * 2 >= slots.count {
                slots.removeFirst(head)
                head = 0
            }
        }
    }
}
