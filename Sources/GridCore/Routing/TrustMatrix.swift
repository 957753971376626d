/// A ``TrustGraph``'s rows, sparse and packed: row `i`'s entries are
/// `targets[rowStart[i]..<rowStart[i] + rowLength[i]]` with their `weights`, in one pool for
/// all rows. So a power-iteration step walks a few flat arrays (no per-row object to touch), and
/// replacing a row costs its own length: a new row is written in place when it fits the old one's
/// slot, else at the pool's end; the pool is repacked, in row order, once more than half of it is
/// abandoned slots.
struct TrustMatrix: Sendable {
    private var rowStart: [Int] = []
    private var rowLength: [Int32] = []
    /// Room in each row's slot (at least its length).
    private var rowCapacity: [Int32] = []
    private var targets: [Int32] = []
    private var weights: [Double] = []
    /// Pool entries no row uses: abandoned slots and the unused tails of slots.
    private var abandoned = 0
    /// Entries over all rows.
    private(set) var edgeCount = 0

    var nodeCount: Int { rowStart.count }

    /// Adds a node with an empty row; its index is the old `nodeCount`.
    mutating func appendNode() {
        rowStart.append(targets.count)
        rowLength.append(0)
        rowCapacity.append(0)
    }

    /// The indices row `row` names, in its order.
    func targets(ofRow row: Int) -> ArraySlice<Int32> {
        targets[rowStart[row]..<rowStart[row] + Int(rowLength[row])]
    }

    /// Row `row`'s entries, in its order.
    func entries(ofRow row: Int) -> [TrustEdge] {
        (rowStart[row]..<rowStart[row] + Int(rowLength[row])).map { TrustEdge(target: Int(targets[$0]), weight: weights[$0]) }
    }

    /// Replaces row `row`'s entries (the caller moves the references).
    mutating func replaceRow(_ row: Int, with entries: [TrustEdge]) {
        edgeCount += entries.count - Int(rowLength[row])
        if entries.count > Int(rowCapacity[row]) {
            // The old slot is abandoned whole; its unused tail was counted already.
            abandoned += Int(rowLength[row])
            rowStart[row] = targets.count
            rowCapacity[row] = Int32(entries.count)
            targets.append(contentsOf: repeatElement(0, count: entries.count))
            weights.append(contentsOf: repeatElement(0, count: entries.count))
        } else {
            abandoned += Int(rowLength[row]) - entries.count
        }
        let start = rowStart[row]
        for (offset, entry) in entries.enumerated() {
            targets[start + offset] = Int32(truncatingIfNeeded: entry.target)
            weights[start + offset] = entry.weight
        }
        rowLength[row] = Int32(entries.count)
        if abandoned > 1024, abandoned * 2 > targets.count { repack() }
    }

    /// Renumbers the nodes: `mapping[old]` is the new index, nil for a dropped node (which must
    /// have an empty row; no row may name it).
    mutating func renumber(_ mapping: [Int?]) {
        var packed = TrustMatrix()
        for (old, new) in mapping.enumerated() where new != nil {
            packed.appendNode()
            packed.replaceRow(
                packed.nodeCount - 1,
                with: entries(ofRow: old).map { TrustEdge(target: mapping[$0.target]!, weight: $0.weight) })
        }
        self = packed
    }

    /// Copies every row, in row order, into a pool with no abandoned slots.
    private mutating func repack() {
        var newTargets: [Int32] = []
        var newWeights: [Double] = []
        newTargets.reserveCapacity(edgeCount)
        newWeights.reserveCapacity(edgeCount)
        for row in rowStart.indices {
            let range = rowStart[row]..<rowStart[row] + Int(rowLength[row])
            rowStart[row] = newTargets.count
            rowCapacity[row] = rowLength[row]
            newTargets.append(contentsOf: targets[range])
            newWeights.append(contentsOf: weights[range])
        }
        targets = newTargets
        weights = newWeights
        abandoned = 0
    }

    /// Which nodes trust can reach from `sources` along rows. Empty rows lead back to `p`'s nodes
    /// only, so `sources` must be `p`'s nodes.
    func reachable(from sources: [Int]) -> [Bool] {
        var reached = [Bool](repeating: false, count: nodeCount)
        var pending = [Int32]()
        pending.reserveCapacity(nodeCount)
        reached.withUnsafeMutableBufferPointer { reached in
            rowStart.withUnsafeBufferPointer { rowStart in
                rowLength.withUnsafeBufferPointer { rowLength in
                    targets.withUnsafeBufferPointer { targets in
                        for source in sources where !reached[source] {
                            reached[source] = true
                            pending.append(Int32(truncatingIfNeeded: source))
                        }
                        while let node = pending.popLast() {
                            let start = rowStart[Int(node)]
                            for k in start..<start + Int(rowLength[Int(node)]) {
                                let target = Int(targets[k])
                                if !reached[target] {
                                    reached[target] = true
                                    pending.append(targets[k])
                                }
                            }
                        }
                    }
                }
            }
        }
        return reached
    }

    /// One step, `out = keep·Cᵀ·t` over the non-empty rows; returns the mass of the nodes with an
    /// empty row (which the caller hands to `p`). `out` must be zero, and both as long as the matrix.
    func step(_ t: UnsafeBufferPointer<Double>, keep: Double, into out: UnsafeMutableBufferPointer<Double>) -> Double {
        var dangling = 0.0
        rowStart.withUnsafeBufferPointer { rowStart in
            rowLength.withUnsafeBufferPointer { rowLength in
                targets.withUnsafeBufferPointer { targets in
                    weights.withUnsafeBufferPointer { weights in
                        for i in 0..<t.count {
                            let ti = t[i]
                            if ti == 0 { continue }
                            let length = Int(rowLength[i])
                            if length == 0 {
                                dangling += ti
                                continue
                            }
                            let scaled = keep * ti
                            let start = rowStart[i]
                            for k in start..<start + length { out[Int(targets[k])] += scaled * weights[k] }
                        }
                    }
                }
            }
        }
        return dangling
    }
}
