import GridCore

/// Trust, convictions and the evidence that spreads them.
extension SimulationEngine {
    /// Requester `r` recomputes its trust, as `Reputation` does every `trustIntervalMs`: its local
    /// trust from its experience, the latest TrustReport of each peer it knows and has not
    /// convicted, then the power iteration. Honest peers report their local trust as of their own
    /// last recompute; liars and spies report what the threat model says.
    mutating func recomputeTrust(_ r: Int) {
        if settings.localTrustFromConfirmed || settings.trustStanding > 0 {
            // Experiment: local trust is the anchored confirmations only, not every unchecked success.
            var scores: [NodeID: Double] = [:]
            for (key, record) in requesters[r].experience.records
            where record.anchored > 0 && !requesters[r].experience.isConvicted(key.node, now: now) {
                scores[key.node, default: 0] += Double(record.anchored)
            }
            requesters[r].graph.setLocalTrust(scores)
        } else {
            requesters[r].graph.setLocalTrust(requesters[r].experience.localTrust(now: now))
        }
        let known = requesters[r].known
        let epoch = UInt64(requesters[r].recomputes + 1)
        var liarsKnown: [NodeID] = []
        if settings.model.liarsVouchForEachOther {
            liarsKnown = known.filter { providers[$0].role == .liar }.map { providers[$0].id }
        }
        var incoming: [(from: NodeID, epoch: UInt64, entries: [(node: NodeID, trust: Double)])] = []
        for peer in known {
            let id = providers[peer].id
            guard !requesters[r].experience.isConvicted(id, now: now) else { continue }
            switch providers[peer].role {
            case .honest:
                let q = requesterOf[peer]
                guard q >= 0, requesters[q].reportEpoch > requesters[r].seenEpoch[peer, default: 0] else { continue }
                requesters[r].seenEpoch[peer] = requesters[q].reportEpoch
                incoming.append((id, requesters[q].reportEpoch, requesters[q].report))
            case .liar, .spy:
                // A liar vouches for the other liars this requester knows; a spy for all of them.
                let named = liarsKnown.filter { $0 != id }
                guard !named.isEmpty else { continue }
                let share = 1 / Double(named.count)
                incoming.append((id, epoch, named.map { ($0, share) }))
            }
        }
        for report in incoming {
            do {
                try requesters[r].graph.receiveReport(from: report.from, epoch: report.epoch, entries: report.entries)
            } catch {
                self.report.reportsRefused += 1
            }
        }
        requesters[r].graph.recompute()
        var trust: [NodeID: Double] = [:]
        for peer in known {
            let id = providers[peer].id
            trust[id] = requesters[r].graph.trustScore(of: id)
        }
        requesters[r].trust = trust
        requesters[r].report = requesters[r].graph.localTrustVector()
        requesters[r].reportEpoch += 1
        requesters[r].recomputes += 1
        report.trustRecomputes += 1
    }

    /// Requester `r` convicts `node` (from its own vote, or from evidence it received): a
    /// `wrongResult` in its experience, its report dropped. A conviction from its own vote, backed
    /// by at least two agreeing runs other than the accused, is sent on as evidence.
    mutating func convict(_ node: NodeID, by r: Int, witnesses: [NodeID], fromEvidence: Bool, input: UInt64, witnessOutput: [UInt8]) {
        guard node != requesters[r].id, !requesters[r].experience.isConvicted(node, now: now) else { return }
        requesters[r].experience.record(.wrongResult, node: node, skill: skill, now: now)
        requesters[r].graph.removeReport(from: node)
        let identity = identityOf[node]!
        if fromEvidence { identities[identity].convictedByEvidence += 1 } else { identities[identity].convictedDirectly += 1 }
        let known = fromEvidence && providers[identities[identity].slot].id == node
            && requesters[r].known.contains(identities[identity].slot)
        switch (identities[identity].role, fromEvidence) {
        case (.honest, false): report.framings += 1
        case (.honest, true):
            report.framingsByEvidence += 1
            if known { report.framingsByEvidenceWhereKnown += 1 }
        case (.liar, false): report.liarConvictions += 1
        case (.liar, true):
            report.liarConvictionsByEvidence += 1
            if known { report.liarConvictionsByEvidenceWhereKnown += 1 }
        case (.spy, false): report.spyConvictions += 1
        case (.spy, true): report.spyConvictionsByEvidence += 1
        }
        if !fromEvidence, settings.evidenceReach != .none {
            let backing = witnesses.filter { $0 != node }
            if backing.count >= 2 {
                evidence.append(
                    SimEvidence(
                        due: task + settings.evidenceDelay, accused: node, witnesses: backing, from: r, input: input, witnessOutput: witnessOutput))
                report.evidenceSent += 1
            }
        }
        if identities[identity].role == .liar, settings.sybilIdentities > 0 { considerRebirth(identities[identity].slot) }
    }

    /// Evidence due by now reaches its receivers, each of which judges it with ``EvidenceJudge``
    /// from its own knowledge: the witnesses' and the accused's results confirmed there, and which
    /// of them it pre-trusts; never the sender's word or trust scores.
    mutating func deliverEvidence() {
        while nextEvidence < evidence.count, evidence[nextEvidence].due <= task {
            let item = evidence[nextEvidence]
            nextEvidence += 1
            let receivers: [Int]
            switch settings.evidenceReach {
            case .none: receivers = []
            case .knowers: receivers = knowers[requesters[item.from].slot]
            case .everyone: receivers = active
            }
            for q in receivers where q != item.from { receive(item, at: q) }
        }
        if nextEvidence > 4096, nextEvidence * 2 > evidence.count {
            evidence.removeFirst(nextEvidence)
            nextEvidence = 0
        }
    }

    private mutating func receive(_ item: SimEvidence, at q: Int) {
        let nodes = [item.accused] + item.witnesses
        var confirmed: [NodeID: Int] = [:]
        for node in nodes { confirmed[node] = requesters[q].experience.anchoredCount(node: node, skill: skill) }
        let c = EvidenceJudge.Case(
            receiver: requesters[q].id, accused: item.accused, witnesses: item.witnesses,
            accusedConvicted: requesters[q].experience.isConvicted(item.accused, now: now), accusedDeclaredDeterministic: true,
            confirmed: confirmed, pinned: preTrusted.intersection(nodes), minimumStanding: policy.probation,
            convictedWitnesses: Set(item.witnesses.filter { requesters[q].experience.isConvicted($0, now: now) }),
            canRerun: settings.requestersRunSkill)
        switch EvidenceJudge.judge(c) {
        case .convict(let accused):
            convict(accused, by: q, witnesses: item.witnesses, fromEvidence: true, input: item.input, witnessOutput: item.witnessOutput)
        case .rerun:
            // A run costs work: spent only on an accused this requester may use (in its registry).
            guard let slot = identityOf[item.accused].map({ identities[$0].slot }), providers[slot].id == item.accused,
                requesters[q].known.contains(slot)
            else {
                report.evidenceIgnored += 1
                return
            }
            report.evidenceReruns += 1
            if inSteadyState { report.steadyExtraRuns += 1 }
            let accusedOutput = output(of: slot, identity: identityOf[item.accused]!, input: item.input)
            let settlement = EvidenceJudge.settle(
                c, accusedOutput: accusedOutput, witnessOutput: item.witnessOutput, ownOutput: SimDigest.correct(item.input))
            for node in settlement.convicted {
                convict(node, by: q, witnesses: item.witnesses, fromEvidence: true, input: item.input, witnessOutput: item.witnessOutput)
            }
        case .ignore, .refuse:
            report.evidenceIgnored += 1
        }
    }
}
