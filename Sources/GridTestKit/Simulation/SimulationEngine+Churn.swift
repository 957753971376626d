import GridCore

/// Newcomers and Sybils: nodes that enter the grid mid-run, and liars that come back under a
/// fresh identity.
extension SimulationEngine {
    /// A newcomer joins: an honest one starts requesting, and every newcomer enters the registries
    /// of as many requesters as an average node is known by.
    mutating func join(_ slot: Int) {
        guard !providers[slot].present else { return }
        providers[slot].present = true
        present.append(slot)
        let identity = providers[slot].identity
        identities[identity] = SimIdentity(slot: slot, role: providers[slot].role, newcomer: true)
        if providers[slot].role == .honest { makeRequester(slot) }
        announce(slot)
    }

    /// Puts the node at `slot` into the registries of about `knownPeers × requesters / nodes`
    /// random requesters (the mean in-degree), each of which forgets a random peer for it (never a
    /// bootstrap node): peers come and go in a registry of bounded size.
    mutating func announce(_ slot: Int) {
        let own = requesterOf[slot]
        let degree = Int((Double(settings.knownPeers) * Double(active.count) / Double(max(present.count, 1))).rounded())
        let wanted = min(max(degree, 1), active.count - (own >= 0 ? 1 : 0))
        guard wanted > 0 else { return }
        var chosen: Set<Int> = own >= 0 ? [own] : []
        var picked: [Int] = []
        var attempts = 0
        while picked.count < wanted, attempts < wanted * 20 {
            attempts += 1
            let q = active[Int.random(in: 0..<active.count, using: &rng)]
            guard chosen.insert(q).inserted, !requesters[q].known.contains(slot) else { continue }
            picked.append(q)
        }
        for q in picked {
            let evictable = requesters[q].known.indices.filter { !isBootstrap[requesters[q].known[$0]] }
            if evictable.count >= settings.knownPeers, let position = evictable.randomElement(using: &rng) {
                let evicted = requesters[q].known[position]
                requesters[q].known[position] = slot
                requesters[q].registry.remove(providers[evicted].id)
                knowers[evicted].removeAll { $0 == q }
            } else {
                requesters[q].known.append(slot)
            }
            requesters[q].registry.update(providers[slot].id, entry(load: providers[slot].running.count))
            knowers[slot].append(q)
        }
    }

    /// A liar that enough of the requesters knowing it have convicted leaves, and comes back under
    /// a fresh identity (a Sybil), at most ``GridSimulation/Settings/sybilIdentities`` times. Each
    /// requester that knew it finds another peer in its place.
    mutating func considerRebirth(_ slot: Int) {
        guard providers[slot].present, providers[slot].rebirths < settings.sybilIdentities else { return }
        let old = providers[slot].id
        let knownBy = knowers[slot]
        guard !knownBy.isEmpty else { return }
        let convicted = knownBy.filter { requesters[$0].experience.isConvicted(old, now: now) }.count
        guard Double(convicted) >= settings.sybilRejoinShare * Double(knownBy.count) else { return }

        knowers[slot] = []
        for q in knownBy {
            guard let position = requesters[q].known.firstIndex(of: slot) else { continue }
            requesters[q].registry.remove(old)
            var replacement = -1
            for _ in 0..<20 {
                let candidate = randomPresentNode()
                if candidate != slot, candidate != requesters[q].slot, !requesters[q].known.contains(candidate) {
                    replacement = candidate
                    break
                }
            }
            if replacement < 0 {
                requesters[q].known.remove(at: position)
                continue
            }
            requesters[q].known[position] = replacement
            requesters[q].registry.update(providers[replacement].id, entry(load: providers[replacement].running.count))
            knowers[replacement].append(q)
        }

        let identity = identities.count
        let id = Self.id(identity)
        identities.append(SimIdentity(slot: slot, role: providers[slot].role, newcomer: true))
        identityOf[id] = identity
        providers[slot].id = id
        providers[slot].identity = identity
        providers[slot].rebirths += 1
        report.sybilRebirths += 1
        announce(slot)
    }
}
