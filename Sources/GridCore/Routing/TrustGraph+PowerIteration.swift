extension TrustGraph {
    /// Runs the power iteration `t ← (1 − a)·Cᵀ·t + a·p` until the L1 change of a step is below
    /// the tolerance or ``Settings/maxIterations`` steps were taken.
    ///
    /// Starts from the previous result when there is one (incremental: after a small change it
    /// re-converges in few steps), with the nodes no longer reachable from `p` zeroed and the rest
    /// rescaled to sum 1; else from `p`.
    @discardableResult
    public mutating func recompute() -> Computation {
        compactIfWorthIt()
        let pre = preTrustIndices()
        var start = [Double](repeating: 0, count: table.count)
        var mass = 0.0
        if !trust.isEmpty {
            let reachable = matrix.reachable(from: pre)
            for index in trust.indices where reachable[index] {
                start[index] = trust[index]
                mass += trust[index]
            }
        }
        if mass > 0, mass.isFinite {
            for index in start.indices { start[index] /= mass }
        } else {
            for index in start.indices { start[index] = 0 }
            for index in pre { start[index] = 1 / Double(pre.count) }
        }
        return iterate(from: start, pre: pre)
    }

    /// Like ``recompute()``, but from `p` whatever the previous result (for comparison and
    /// benchmarks; the result is the same within the tolerance).
    @discardableResult
    public mutating func recomputeFromScratch() -> Computation {
        trust = []
        return recompute()
    }

    /// Indices of `p`'s nodes: this node, then the pre-trusted in node ID order.
    private func preTrustIndices() -> [Int] {
        [0] + preTrusted.sorted().map { table.index(of: $0)! }
    }

    private mutating func iterate(from start: [Double], pre: [Int]) -> Computation {
        let a = min(1, max(0, settings.preTrustWeight.isNaN ? 0 : settings.preTrustWeight))
        let keep = 1 - a
        let share = 1 / Double(pre.count)
        var current = start
        var next = [Double](repeating: 0, count: start.count)
        var iterations = 0
        var delta = Double.infinity
        var converged = false
        while iterations < settings.maxIterations {
            delta = 0
            next.withUnsafeMutableBufferPointer { out in
                out.update(repeating: 0)
                let dangling = current.withUnsafeBufferPointer { t in matrix.step(t, keep: keep, into: out) }
                // a·p, and the mass of the nodes without experience, which defer to p.
                let toEach = (a + keep * dangling) * share
                for index in pre { out[index] += toEach }
                // The mass is 1 in exact arithmetic; keep it so against rounding.
                var sum = 0.0
                for value in out { sum += value }
                if sum > 0, sum != 1 {
                    for index in out.indices { out[index] /= sum }
                }
                current.withUnsafeBufferPointer { t in
                    for index in t.indices { delta += abs(out[index] - t[index]) }
                }
            }
            swap(&current, &next)
            iterations += 1
            if delta < settings.tolerance {
                converged = true
                break
            }
        }
        trust = current
        maxOtherTrust = current.dropFirst().max() ?? 0
        let computation = Computation(
            iterations: iterations, converged: converged, finalDelta: delta, nodes: table.liveCount, edges: matrix.edgeCount)
        lastComputation = computation
        return computation
    }

    /// Drops nodes nothing refers to any more once they are most of the table, renumbering rows
    /// and the previous result to match.
    private mutating func compactIfWorthIt() {
        guard table.worthCompacting else { return }
        let mapping = table.compacted()
        // A dead node has no row (a stored report refers to its reporter), and rows name live nodes only.
        matrix.renumber(mapping)
        trust = mapping.indices.filter { $0 < trust.count && mapping[$0] != nil }.map { trust[$0] }
    }
}
