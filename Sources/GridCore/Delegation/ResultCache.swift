/// Results of cacheable tasks, by (skill, digest of the input), kept for a window: an identical
/// cacheable task submitted within it gets the same output without running again (prompt-hash
/// dedup). Only successes are kept. Bounded: the oldest entry goes first.
public struct ResultCache: Sendable {
    public struct Key: Hashable, Sendable {
        public var skill: SkillID
        /// A digest of the input (the shell uses SHA-256).
        public var inputDigest: [UInt8]

        public init(skill: SkillID, inputDigest: [UInt8]) {
            self.skill = skill
            self.inputDigest = inputDigest
        }
    }

    public struct Entry: Sendable, Equatable {
        public var output: [UInt8]
        public var executor: NodeID?
        public var storedAt: ContinuousClock.Instant
    }

    /// How long a result is reused. Default 60 s.
    public let window: Duration
    /// Entries at most. Default 10000.
    public let capacity: Int
    private var entries: [Key: Entry] = [:]
    private var order: [(key: Key, storedAt: ContinuousClock.Instant)] = []
    private var head = 0

    public init(window: Duration = .seconds(60), capacity: Int = 10_000) {
        precondition(capacity > 0, "room for one entry")
        self.window = window
        self.capacity = capacity
    }

    public var count: Int { entries.count }

    /// The result stored for `key` within the window.
    public func lookup(_ key: Key, now: ContinuousClock.Instant) -> Entry? {
        guard let entry = entries[key], entry.storedAt.duration(to: now) < window else { return nil }
        return entry
    }

    /// Forgets `key`'s result if it is `output` (a result proven wrong after it was stored).
    public mutating func discard(_ key: Key, ifOutput output: [UInt8]) {
        if entries[key]?.output == output { entries[key] = nil }  // its `order` slot expires as usual
    }

    public mutating func store(_ key: Key, output: [UInt8], executor: NodeID?, now: ContinuousClock.Instant) {
        expire(now: now)
        if entries[key] == nil, entries.count >= capacity { evictOldest() }
        entries[key] = Entry(output: output, executor: executor, storedAt: now)
        order.append((key, now))
    }

    /// Drops the entries older than the window.
    public mutating func expire(now: ContinuousClock.Instant) {
        while head < order.count, order[head].storedAt.duration(to: now) >= window {
            let (key, storedAt) = order[head]
            if entries[key]?.storedAt == storedAt { entries[key] = nil }
            head += 1
        }
        compact()
    }

    private mutating func evictOldest() {
        while head < order.count {
            let (key, storedAt) = order[head]
            head += 1
            if entries[key]?.storedAt == storedAt {
                entries[key] = nil
                break
            }
        }
        compact()
    }

    private mutating func compact() {
        if head > 64, head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}
