/// The nodes a ``TrustGraph`` knows, each under a dense index (0, 1, 2, … in the order they were
/// first seen), so that trust vectors and matrix rows are plain arrays.
///
/// A node stays while something refers to it: being this node, being pre-trusted, having a report
/// stored, or being named in a row (once per row). A node nothing refers to any more is *dead*: it
/// keeps its index until ``compacted()`` renumbers the live ones, in their old order, so that a
/// node with churning reporters does not grow without bound.
struct TrustNodeTable: Sendable {
    private(set) var ids: [NodeID] = []
    private var indices: [NodeID: Int] = [:]
    private var references: [Int] = []
    /// How many indices nothing refers to.
    private(set) var deadCount = 0

    var count: Int { ids.count }
    var liveCount: Int { ids.count - deadCount }

    func index(of node: NodeID) -> Int? { indices[node] }

    /// Counts one more reference to `node`, giving it the next index if it is new.
    mutating func retain(_ node: NodeID) -> Int {
        if let index = indices[node] {
            if references[index] == 0 { deadCount -= 1 }
            references[index] += 1
            return index
        }
        let index = ids.count
        ids.append(node)
        indices[node] = index
        references.append(1)
        return index
    }

    /// Counts one reference fewer to the node at `index`.
    mutating func release(_ index: Int) {
        references[index] -= 1
        if references[index] == 0 { deadCount += 1 }
    }

    /// Whether renumbering would pay: more than half the indices dead, and enough of them to matter.
    var worthCompacting: Bool { deadCount > 64 && deadCount * 2 > ids.count }

    /// Drops the dead nodes and renumbers the live ones in their old order. Returns, for each old
    /// index, its new one, or nil for a dropped node.
    mutating func compacted() -> [Int?] {
        var mapping: [Int?] = []
        mapping.reserveCapacity(ids.count)
        var keptIDs: [NodeID] = []
        var keptReferences: [Int] = []
        keptIDs.reserveCapacity(liveCount)
        keptReferences.reserveCapacity(liveCount)
        for (index, id) in ids.enumerated() {
            if references[index] == 0 {
                indices[id] = nil
                mapping.append(nil)
            } else {
                indices[id] = keptIDs.count
                mapping.append(keptIDs.count)
                keptIDs.append(id)
                keptReferences.append(references[index])
            }
        }
        ids = keptIDs
        references = keptReferences
        deadCount = 0
        return mapping
    }
}
