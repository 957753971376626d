extension GridError.Code {
    /// A peer's TrustReport breaks the protocol's rules (too many entries, a node named twice, a
    /// value outside 0...1, values summing to more than 1).
    public static let invalidTrustReport = Self("trust.invalid_report")
}

extension TrustGraph {
    /// Most the values of one report may sum to beyond 1, for rounding.
    static let reportSumSlack = 1e-9

    /// Takes a peer's TrustReport: its normalised local trust (`trust_ppm / 1e6` per entry).
    ///
    /// An entry naming the reporter itself is dropped (self-trust is ignored), and so are zero
    /// entries; the rest are renormalised to sum to 1 for the matrix (a report of all zeros is an
    /// empty row: the reporter defers to the pre-trusted). A report whose epoch is not newer than
    /// the last accepted one from that reporter is ignored, and so is one claiming to come from
    /// this node (its row is ``setLocalTrust(_:)``'s).
    ///
    /// - Returns: true when the report was stored, replacing the reporter's previous one.
    /// - Throws: ``GridError`` `.invalidTrustReport` when the report has more than
    ///   ``Settings/maxReportEntries`` entries, names a node twice, has a value outside 0...1, or
    ///   has values summing to more than 1 (beyond 1e-9 of rounding). Nothing is stored then.
    @discardableResult
    public mutating func receiveReport(
        from reporter: NodeID, epoch: UInt64, entries: [(node: NodeID, trust: Double)]
    ) throws(GridError) -> Bool {
        try Self.validate(entries, from: reporter, epoch: epoch, maxEntries: settings.maxReportEntries)
        guard reporter != localNode else { return false }
        if let last = epochs[reporter], epoch <= last { return false }

        let index = epochs[reporter] == nil ? retain(reporter) : table.index(of: reporter)!
        epochs[reporter] = epoch
        var total = 0.0
        for entry in entries where entry.node != reporter { total += entry.trust }
        var row: [TrustEdge] = []
        if total > 0 {
            row.reserveCapacity(entries.count)
            for entry in entries where entry.node != reporter && entry.trust > 0 {
                row.append(TrustEdge(target: retain(entry.node), weight: entry.trust / total))
            }
        }
        replaceRow(index, with: row)
        return true
    }

    /// Forgets `reporter`'s report and its epoch (a later report of any epoch is taken).
    /// Nothing happens when there is none.
    public mutating func removeReport(from reporter: NodeID) {
        guard epochs.removeValue(forKey: reporter) != nil, let index = table.index(of: reporter) else { return }
        replaceRow(index, with: [])
        table.release(index)
    }

    /// How many peers have a report stored.
    public var reporters: Int { epochs.count }

    private static func validate(
        _ entries: [(node: NodeID, trust: Double)], from reporter: NodeID, epoch: UInt64, maxEntries: Int
    ) throws(GridError) {
        // Built only for a message: hex-encoding the reporter on every report would cost more than checking it.
        var report: String { "trust report from \(reporter.short) (epoch \(epoch))" }
        guard entries.count <= maxEntries else {
            throw GridError(
                .invalidTrustReport,
                "\(report) has \(entries.count) entries, more than the \(maxEntries) allowed (maxReportEntries); drop it: a reporter must send only its largest entries")
        }
        var seen = Set<NodeID>(minimumCapacity: entries.count)
        var sum = 0.0
        for (position, entry) in entries.enumerated() {
            guard entry.trust >= 0, entry.trust <= 1 else {
                throw GridError(
                    .invalidTrustReport,
                    "\(report) gives node \(entry.node.short) trust \(entry.trust) (entry \(position)), outside 0...1; drop it")
            }
            guard seen.insert(entry.node).inserted else {
                throw GridError(
                    .invalidTrustReport,
                    "\(report) names node \(entry.node.short) twice (again at entry \(position)); drop it: a report names each node at most once")
            }
            sum += entry.trust
        }
        guard sum <= 1 + reportSumSlack else {
            throw GridError(
                .invalidTrustReport,
                "\(report) has trust values summing to \(sum), more than 1 (1000000 ppm); drop it: a report carries normalised trust")
        }
    }
}
