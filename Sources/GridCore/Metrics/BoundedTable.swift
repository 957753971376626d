/// A dictionary that gives at most `limit` keys an entry of their own; every later key shares the
/// one ``other`` entry. Keys that got an entry keep it.
///
/// Values are mutated in place (through the dictionary's and the optional's accessors), since
/// some of them hold histograms whose storage would otherwise be copied on every update.
struct BoundedTable<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    let limit: Int
    private(set) var entries: [Key: Value] = [:]
    /// What keys without an entry of their own added up to; nil until the first such key.
    private(set) var other: Value?

    init(limit: Int) {
        self.limit = limit
    }

    /// Applies `update` to `key`'s entry, or to ``other`` when the table is full and `key` has
    /// none; `make` gives the starting value of an entry that does not exist yet.
    mutating func update(_ key: Key, make: () -> Value, _ update: (inout Value) -> Void) {
        if entries.count < limit || entries[key] != nil {
            update(&entries[key, default: make()])
        } else {
            if other == nil { other = make() }
            update(&other!)
        }
    }
}
