/// The providers serving one skill on this node (applications connected to the local socket), and
/// which of them gets the next task.
///
/// Each provider has a capacity (tasks it runs at once) and runs some tasks now. A task goes to the
/// provider with the most free capacity; on a tie the least busy, then the one that began serving
/// first. A draining provider keeps its running tasks but takes no new one, and its capacity no
/// longer counts. Pure: the executor holds one pool per served skill behind its lock.
public struct ProviderPool<ProviderID: Hashable & Sendable>: Sendable {
    public struct Provider: Sendable, Equatable {
        public var capacity: Int
        public var running: Int
        /// False once the provider drains: no new task goes to it.
        public var accepting: Bool
        /// When it began serving, in the pool's own order.
        var since: UInt64

        public var free: Int { accepting ? max(0, capacity - running) : 0 }
    }

    public private(set) var providers: [ProviderID: Provider] = [:]
    private var joined: UInt64 = 0

    public init() {}

    /// Tasks the accepting providers run at once, together.
    public var capacity: Int { providers.values.lazy.filter(\.accepting).map(\.capacity).reduce(0, +) }
    /// Tasks running on every provider, draining ones included.
    public var running: Int { providers.values.lazy.map(\.running).reduce(0, +) }
    /// Tasks that can start now.
    public var free: Int { providers.values.lazy.map(\.free).reduce(0, +) }
    public var isEmpty: Bool { providers.isEmpty }
    /// Whether any provider takes new tasks.
    public var isServed: Bool { providers.values.contains(where: \.accepting) }

    /// Adds a provider, or changes the capacity of one already here (a draining one accepts again).
    public mutating func serve(_ id: ProviderID, capacity: Int) {
        precondition(capacity > 0, "a provider's capacity is at least 1")
        if var provider = providers[id] {
            provider.capacity = capacity
            provider.accepting = true
            providers[id] = provider
        } else {
            joined += 1
            providers[id] = Provider(capacity: capacity, running: 0, accepting: true, since: joined)
        }
    }

    /// No new task for `id`; it stays in the pool until its running tasks end (or it is withdrawn).
    public mutating func drain(_ id: ProviderID) {
        providers[id]?.accepting = false
        if providers[id]?.running == 0 { providers[id] = nil }
    }

    /// Removes `id` at once; returns how many tasks it was running (the caller hands them back).
    @discardableResult
    public mutating func withdraw(_ id: ProviderID) -> Int {
        providers.removeValue(forKey: id)?.running ?? 0
    }

    /// The provider the next task goes to, counted as running it; nil when none has free capacity.
    public mutating func take() -> ProviderID? {
        guard let best = providers.filter({ $0.value.free > 0 }).min(by: { Self.before($0.value, $1.value) })?.key else { return nil }
        providers[best]?.running += 1
        return best
    }

    /// A task that `id` ran has ended. A draining provider with nothing left leaves the pool.
    public mutating func release(_ id: ProviderID) {
        guard var provider = providers[id] else { return }  // withdrawn meanwhile
        provider.running = max(0, provider.running - 1)
        providers[id] = !provider.accepting && provider.running == 0 ? nil : provider
    }

    private static func before(_ a: Provider, _ b: Provider) -> Bool {
        (-a.free, a.running, a.since) < (-b.free, b.running, b.since)
    }
}
