import GridCore

/// One task: routed by the requester's ``SkillRouter``, run, perhaps checked by one more run
/// (``VerificationPolicy``), a split settled by tie-breakers (``ResultVote``), the outvoted
/// convicted and the agreeing confirmed — as `DelegationCoordinator+Verification.swift` does.
extension SimulationEngine {
    /// What a run is for, for the counts of extra work.
    enum RunKind {
        case delivery, check, tieBreaker
    }

    mutating func verifiedTask(_ r: Int, input: UInt64) {
        refreshRegistry(r)
        let explore = requesters[r].budget.next()
        let route = route(for: r, explore: explore)
        if route.explored != nil { requesters[r].budget.explored() }
        let correct = SimDigest.correct(input)
        if settings.verifyMode == .strict {
            return strictTask(r, input: input, route: route, correct: correct)
        }
        guard let executor = route.ranked.first?.node else {
            report.unplaced += 1
            return
        }
        let output = execute(executor, input: input, for: r, kind: .delivery)
        let wrong = output != correct
        var verified = requesters[r].experience.verifiedCount(node: executor, skill: skill)
        if isVouchedFor(executor, at: r) {
            verified = max(verified, Int((Double(policy.probation) / max(policy.floor, 0.001)).rounded(.up)))
        }
        // A result of a provider on probation waits for its check; the vote's output is delivered.
        let hold = executor != requesters[r].id && policy.holdsResult(verified: verified, deterministic: true, mode: settings.verifyMode)
        if !hold { countDelivered(wrong: wrong) }
        guard executor != requesters[r].id,
            hold || policy.shouldVerify(verified: verified, deterministic: true, mode: settings.verifyMode, using: &rng)
        else {
            if wrong { report.wrongUndetected += 1 }
            return
        }
        var vote = ResultVote.check(tieBreakers: policy.maxTieBreakers, trusted: trustedVoter(r))
        _ = vote.add(executor, digest: output, anchor: hasStanding(executor, at: r))
        var accepted = settle(&vote, for: r, input: input, ranked: Self.unexplored(route))
        if accepted == nil, vote.answered <= 1 {
            accepted = output  // no node could check it: delivered unchecked, as the coordinator does
        }
        if hold {
            if let accepted {
                countDelivered(wrong: accepted != correct)
                if accepted != correct { report.wrongUndetected += 1 }
            } else {
                report.failed += 1
                if inSteadyState { report.steadyFailed += 1 }
            }
        } else if wrong, accepted == nil || accepted == output {
            report.wrongUndetected += 1
        }
    }

    /// `verify: strict`: the two best candidates run the task, and only an output two runs agree
    /// on is delivered.
    private mutating func strictTask(_ r: Int, input: UInt64, route: Route, correct: [UInt8]) {
        let first = route.top(2)
        guard first.count == 2 else {
            report.unplaced += 1
            return
        }
        var vote = ResultVote(replicas: 2, verified: true, tieBreakers: policy.maxTieBreakers, trusted: trustedVoter(r))
        vote.anchorsExist = true
        vote.seeksAnchor = true  // as the coordinator's initialVote
        for (index, node) in first.enumerated() {
            _ = vote.add(node, digest: execute(node, input: input, for: r, kind: index == 0 ? .delivery : .check), anchor: hasStanding(node, at: r))
        }
        if let accepted = settle(&vote, for: r, input: input) {
            countDelivered(wrong: accepted != correct)
            if accepted != correct { report.wrongUndetected += 1 }
        } else {
            report.failed += 1
            if inSteadyState { report.steadyFailed += 1 }
        }
    }

    private mutating func countDelivered(wrong: Bool) {
        report.tasks += 1
        if inSteadyState { report.steadyTasks += 1 }
        guard wrong else { return }
        report.wrongAccepted += 1
        report.wrongPerBlock[min(task * 10 / max(settings.tasks, 1), 9)] += 1
        if inSteadyState { report.steadyWrong += 1 }
    }

    /// Carries out the vote's decisions until it is settled: runs the check or tie-breaker it waits
    /// for on the node ``VerificationPolicy/verifierOrder(ranked:verified:trusted:anchors:)`` puts
    /// first (the vote stops seeking an anchor when none is left), convicts the dissenting and,
    /// when the agreement is anchored, confirms the agreeing. Returns the accepted digest, if any.
    ///
    /// `ranked` is the ranking the task was routed with, if the first extra run may take it (the
    /// same instant, so the same ranking but for the delivered run's place); later runs are routed
    /// afresh.
    private mutating func settle(_ vote: inout ResultVote, for r: Int, input: UInt64, ranked: Route? = nil) -> [UInt8]? {
        var decision = vote.decision
        var ranked = ranked
        while true {
            switch decision {
            case .pending:
                let route = ranked ?? self.route(for: r, explore: false)
                ranked = nil
                let order = extraRunners(for: r, route: route, used: vote.voters)
                // The pre-trusted bootstrap nodes are in every registry: anchors always exist.
                vote.anchorsExist = true
                let seeks = order.contains { hasStanding($0, at: r) }
                if vote.seeksAnchor != seeks {
                    vote.seeksAnchor = seeks
                    decision = vote.decision
                    if decision != .pending { continue }
                }
                guard let node = order.first else {
                    report.noExtraRunner += 1
                    return nil
                }
                let kind: RunKind = vote.answered <= 1 ? .check : .tieBreaker
                decision = vote.add(node, digest: execute(node, input: input, for: r, kind: kind), anchor: hasStanding(node, at: r))
            case .needsRun:
                vote.addRun()
                decision = vote.decision
            case .accepted(let digest, let agreeing, let dissenting):
                if digest != SimDigest.correct(input) { report.votesWronglySettled += 1 }
                if !vote.isAnchored(digest) { report.unanchoredVotes += 1 }
                let settles = vote.settles(digest)
                if settles {
                    for node in dissenting { convict(node, by: r, witnesses: agreeing, fromEvidence: false, input: input, witnessOutput: digest) }
                }
                confirm(agreeing, by: r, anchored: settles)
                return digest
            case .noMajority:
                report.inconclusive += 1
                return nil
            }
        }
    }

    /// The nodes for one more run, best first: the router's ranking less the nodes that ran the
    /// task, in the policy's verifier order (this requester, then nodes with standing, then the
    /// most confirmed results).
    private mutating func extraRunners(for r: Int, route: Route, used: Set<NodeID>) -> [NodeID] {
        var fresh = route.nodes.filter { !used.contains($0) }
        if let me = trustedVoter(r), !used.contains(me), !fresh.contains(me) {
            // The requester's own run is the check it trusts most: it waits for its own place.
            fresh.insert(me, at: 0)
        }
        if fresh.isEmpty {
            // No fresh node has room: the run waits for a place, as the coordinator's would, on
            // one of the busy ones (it is settled now all the same).
            fresh = route.excluded.filter { $0.reason == .atCapacity && !used.contains($0.node) }.map(\.node)
            if !fresh.isEmpty { report.extraRunsWaited += 1 }
        }
        var verified: [NodeID: Int] = [:]
        var anchors: Set<NodeID> = []
        for node in fresh {
            verified[node] = requesters[r].experience.anchoredCount(node: node, skill: skill)
            if hasStanding(node, at: r) { anchors.insert(node) }
        }
        return policy.verifierOrder(ranked: fresh, verified: verified, trusted: trustedVoter(r), anchors: anchors)
    }

    /// Whether `node` anchors a vote of requester `r`: `r` itself, a pre-trusted (pinned) node,
    /// or a provider with standing at `r` (``VerificationPolicy/hasStanding(anchored:pinned:)``).
    func hasStanding(_ node: NodeID, at r: Int) -> Bool {
        node == requesters[r].id
            || policy.hasStanding(anchored: requesters[r].experience.anchoredCount(node: node, skill: skill), pinned: preTrusted.contains(node))
            || isVouchedFor(node, at: r)
    }

    /// The ``GridSimulation/Settings/trustStanding`` experiment: standing from trust, for a
    /// provider that also passed at least one anchored check here (spies cannot vouch a liar in).
    func isVouchedFor(_ node: NodeID, at r: Int) -> Bool {
        settings.trustStanding > 0 && (requesters[r].trust[node] ?? 0) >= settings.trustStanding
            && requesters[r].experience.anchoredCount(node: node, skill: skill) >= 1
            && !requesters[r].experience.isConvicted(node, now: now)
    }

    /// `route` as a request without exploration would have ranked it: the novice an exploring
    /// request put first goes back among the others by its score (among equal scores, first).
    static func unexplored(_ route: Route) -> Route {
        guard route.explored != nil, route.ranked.count > 1 else { return route }
        var ranked = route.ranked
        let novice = ranked.removeFirst()
        let place = ranked.firstIndex { $0.score <= novice.score } ?? ranked.count
        ranked.insert(novice, at: place)
        return Route(ranked: ranked, excluded: route.excluded)
    }

    /// This requester as the vote's trusted voter, when it runs the skill itself.
    func trustedVoter(_ r: Int) -> NodeID? {
        settings.requestersRunSkill ? requesters[r].id : nil
    }

    mutating func route(for r: Int, explore: Bool) -> Route {
        let slot = requesters[r].slot
        let local = SkillRouter.LocalNode(
            id: requesters[r].id, skills: settings.requestersRunSkill ? skills : [], capacity: settings.capacity,
            running: providers[slot].load(now: now))
        // The registry's loads are exact and include this requester's runs, so no in-flight counts.
        return router.route(
            .init(skill: skill, explore: explore), local: local, registry: requesters[r].registry,
            experience: requesters[r].experience, peers: .init(trust: requesters[r].trust), now: now, using: &rng)
    }

    /// Every known provider's entry carries its load now.
    mutating func refreshRegistry(_ r: Int) {
        for peer in requesters[r].known {
            let load = providers[peer].load(now: now)
            requesters[r].registry.update(providers[peer].id, entry(load: load))
        }
    }

    /// Runs the task on `node` for requester `r`: the run holds a place there for its duration,
    /// counts as the node's work, and is recorded as a success in `r`'s experience (nothing shows
    /// it wrong yet). Returns the output's digest.
    mutating func execute(_ node: NodeID, input: UInt64, for r: Int, kind: RunKind, record: Bool = true) -> [UInt8] {
        let identity = identityOf[node]!
        let slot = identities[identity].slot
        let duration = Duration.milliseconds(Int.random(in: settings.runMilliseconds, using: &rng))
        providers[slot].running.append(now + duration)
        identities[identity].runs += 1
        identities[identity].lastRun = task
        report.runs += 1
        let steady = inSteadyState
        if steady {
            identities[identity].steadyRuns += 1
            report.steadyRuns += 1
        }
        if providers[slot].role == .liar {
            report.liarRuns += 1
            if steady { report.steadyLiarRuns += 1 }
        }
        switch kind {
        case .delivery: break
        case .check: report.checks += 1
        case .tieBreaker: report.tieBreakers += 1
        }
        if kind != .delivery, steady { report.steadyExtraRuns += 1 }
        if record {
            requesters[r].experience.record(.success, node: node, skill: skill, latency: duration, now: now)
            if node != requesters[r].id {
                requesters[r].registry.update(node, entry(load: providers[slot].running.count))
            }
        }
        return output(of: slot, identity: identity, input: input)
    }

    /// What the node at `slot` answers for `input`, by its role and the threat model.
    func output(of slot: Int, identity: Int, input: UInt64) -> [UInt8] {
        guard providers[slot].role == .liar else { return SimDigest.correct(input) }
        switch settings.model {
        case .individual:
            return SimDigest.wrong(input, key: SimDigest.mix(UInt64(identity) ^ collectiveKey ^ 0xA11CE))
        case .collective, .spies:
            return SimDigest.wrong(input, key: collectiveKey)
        case .camouflage:
            return SimDigest.unit(input, key: camouflageKey) < settings.camouflageHonesty
                ? SimDigest.correct(input) : SimDigest.wrong(input, key: collectiveKey)
        }
    }

    /// No verification and no trust: a provider drawn at random among the known ones with room.
    mutating func baselineTask(_ r: Int, input: UInt64) {
        let candidates = requesters[r].known.filter { providers[$0].load(now: now) < settings.capacity }
        guard !candidates.isEmpty else {
            report.unplaced += 1
            return
        }
        let slot = candidates[Int.random(in: 0..<candidates.count, using: &rng)]
        let output = execute(providers[slot].id, input: input, for: r, kind: .delivery, record: false)
        let wrong = output != SimDigest.correct(input)
        countDelivered(wrong: wrong)
        if wrong { report.wrongUndetected += 1 }
    }

    /// Runs that agreed on the accepted output: each one's results are confirmed once more (the
    /// coordinator's `confirm`), so it is checked less often; when the agreement was `anchored`, it
    /// also counts towards its standing (it ranks higher as a verifier and, past probation,
    /// anchors votes itself).
    mutating func confirm(_ agreeing: [NodeID], by r: Int, anchored: Bool) {
        guard agreeing.count >= 2 else { return }
        for node in agreeing where node != requesters[r].id {
            requesters[r].experience.recordVerified(node: node, skill: skill, anchored: anchored, now: now)
        }
    }
}
