import GridCore

/// The state of one ``GridSimulation`` run and its main loop; tasks, trust, evidence and churn are
/// in the `SimulationEngine+…` files.
struct SimulationEngine {
    let settings: GridSimulation.Settings
    let skill = try! SkillID("work")
    let skills: Set<SkillID>
    let router = SkillRouter()
    let policy: VerificationPolicy
    var rng: SplitMix64
    /// The simulated clock's origin: only differences from it are ever used.
    let origin = ContinuousClock.now
    /// Simulated time between two tasks of the grid.
    let interval: Duration
    /// The collective's key for its common wrong output, and for its camouflage coin.
    let collectiveKey: UInt64
    let camouflageKey: UInt64

    var providers: [SimProvider] = []
    var identities: [SimIdentity] = []
    var identityOf: [NodeID: Int] = [:]
    var requesters: [SimRequester] = []
    /// Slot → index in `requesters`, or -1 for a node that requests nothing (yet).
    var requesterOf: [Int]
    /// Slot → requesters that have it in their registry.
    var knowers: [[Int]]
    var isBootstrap: [Bool]
    var bootstrap: [Int] = []
    var preTrusted: Set<NodeID> = []
    /// Requesters in the grid now, and every node in it now.
    var active: [Int] = []
    var present: [Int] = []
    /// Newcomers, by the task index at which they join.
    var joins: [(task: Int, slot: Int)] = []
    var nextJoin = 0
    var evidence: [SimEvidence] = []
    var nextEvidence = 0

    /// The task being run, and its instant.
    var task = 0
    var now: ContinuousClock.Instant
    let steadyStart: Int
    var report = SimulationReport()

    init(settings: GridSimulation.Settings) {
        self.settings = settings
        skills = [skill]
        policy = settings.verification
        rng = SplitMix64(seed: settings.seed)
        now = origin
        collectiveKey = rng.next()
        camouflageKey = rng.next()
        let n = max(settings.nodes, 2)
        steadyStart = Int((Double(settings.tasks) * (1 - min(max(settings.steadyShare, 0), 1))).rounded())

        let malicious = min(Int((Double(n) * min(max(settings.maliciousShare, 0), 1)).rounded()), n - 1)
        let spies = settings.model == .spies ? Int((Double(malicious) * min(max(settings.spyShare, 0), 1)).rounded()) : 0
        var roles = [SimRole](repeating: .liar, count: malicious - spies) + [SimRole](repeating: .spy, count: spies)
            + [SimRole](repeating: .honest, count: n - malicious)
        roles.shuffle(using: &rng)
        let meanRun = Duration.milliseconds(settings.runMilliseconds.lowerBound + settings.runMilliseconds.upperBound) / 2
        let places = Double(n * max(settings.capacity, 1)) * min(max(settings.utilisation, 0.001), 1)
        interval = meanRun / places

        requesterOf = [Int](repeating: -1, count: n)
        knowers = [[Int]](repeating: [], count: n)
        isBootstrap = [Bool](repeating: false, count: n)
        for slot in roles.indices where roles[slot] == .honest && bootstrap.count < settings.bootstrapNodes {
            bootstrap.append(slot)
            isBootstrap[slot] = true
        }

        // Newcomers: the same share of the honest and of the malicious nodes, bootstrap nodes never.
        let share = min(max(settings.newcomerShare, 0), 1)
        var late: [Int] = []
        for group in [roles.indices.filter { roles[$0] == .honest && !isBootstrap[$0] }, roles.indices.filter { roles[$0].isMalicious }] {
            late += group.shuffled(using: &rng).prefix(Int((Double(group.count) * share).rounded()))
        }
        late.shuffle(using: &rng)
        let window = settings.newcomerWindow
        for (k, slot) in late.enumerated() {
            let at = window.lowerBound + (window.upperBound - window.lowerBound) * (Double(k) + 0.5) / Double(late.count)
            joins.append((Int(at * Double(settings.tasks)), slot))
        }
        let isLate = Set(late)

        for slot in 0..<n {
            let id = Self.id(slot)
            providers.append(SimProvider(id: id, role: roles[slot], present: !isLate.contains(slot), identity: slot))
            identities.append(SimIdentity(slot: slot, role: roles[slot], newcomer: isLate.contains(slot)))
            identityOf[id] = slot
            if !isLate.contains(slot) { present.append(slot) }
        }
        preTrusted = Set(bootstrap.map { providers[$0].id })
        for slot in 0..<n where roles[slot] == .honest && !isLate.contains(slot) {
            makeRequester(slot)
        }
        report.nodes = n
        report.liars = malicious - spies
        report.spies = spies
        report.newcomers = late.count
    }

    /// Node IDs: a mixed first eight bytes (the router's tie-break reads them), then the index.
    static func id(_ index: Int) -> NodeID {
        var bytes = SimDigest.bytes(SimDigest.mix(UInt64(index) ^ 0x5EED_1D5))
        bytes += SimDigest.bytes(UInt64(index))
        bytes += [UInt8](repeating: 0x5A, count: 16)
        return try! NodeID(bytes: bytes)
    }

    mutating func run(progress: ((Int) -> Void)?) -> SimulationReport {
        let total = settings.tasks
        let tenth = max(total / 10, 1)
        report.wrongPerBlock = [Int](repeating: 0, count: 10)
        for t in 0..<total {
            task = t
            now = origin + interval * t
            while nextJoin < joins.count, joins[nextJoin].task <= t {
                join(joins[nextJoin].slot)
                nextJoin += 1
            }
            deliverEvidence()
            if !active.isEmpty {
                let r = active[Int.random(in: 0..<active.count, using: &rng)]
                let input = UInt64(t) &+ (settings.seed << 40)
                switch settings.strategy {
                case .baseline: baselineTask(r, input: input)
                case .verified: verifiedTask(r, input: input)
                }
                requesters[r].tasks += 1
                if settings.strategy == .verified, requesters[r].tasks % max(settings.trustEvery, 1) == 0 {
                    recomputeTrust(r)
                }
            }
            if (t + 1) % tenth == 0 { progress?(t + 1) }
        }
        return finish()
    }

    /// Whether the current task is in the steady-state part of the run.
    var inSteadyState: Bool { task >= steadyStart }

    /// A uniformly drawn node in the grid now.
    mutating func randomPresentNode() -> Int {
        present[Int.random(in: 0..<present.count, using: &rng)]
    }

    /// An honest node starts requesting: it gets the bootstrap nodes and `knownPeers` random nodes
    /// in the grid as its registry, and pre-trusts the bootstrap nodes.
    mutating func makeRequester(_ slot: Int) {
        let id = providers[slot].id
        var known = bootstrap.filter { $0 != slot }
        var chosen = Set(known)
        chosen.insert(slot)
        let others = present.count - chosen.count  // the bootstrap nodes and this one are in the grid
        let wanted = known.count + min(settings.knownPeers, others)
        while known.count < wanted {
            let candidate = randomPresentNode()
            if chosen.insert(candidate).inserted { known.append(candidate) }
        }
        var registry = SkillRegistry()
        for peer in known { registry.update(providers[peer].id, entry(load: providers[peer].running.count)) }
        var graph = TrustGraph(localNode: id, preTrusted: preTrusted.subtracting([id]))
        graph.recompute()
        var trust: [NodeID: Double] = [:]
        for peer in known { trust[providers[peer].id] = graph.trustScore(of: providers[peer].id) }
        let index = requesters.count
        requesters.append(
            SimRequester(
                slot: slot, id: id, known: known, registry: registry, experience: Experience(), graph: graph, trust: trust,
                budget: ExplorationBudget(share: settings.explorationShare)))
        requesterOf[slot] = index
        for peer in known { knowers[peer].append(index) }
        active.append(index)
    }

    /// A provider's announcement as a registry entry, fresh now.
    func entry(load: Int) -> SkillRegistry.Entry {
        SkillRegistry.Entry(skills: skills, capacity: settings.capacity, load: load, lastSeen: now)
    }
}

extension SimulationEngine {
    /// The per-identity figures, from the identity table.
    mutating func finish() -> SimulationReport {
        var liarWork: [Int] = []
        var liarNodeWork: [Int: Int] = [:]
        var honestSteady: [Int] = []
        var newcomerSteady: [Int] = []
        for identity in identities {
            // A newcomer that never joined was never in the grid.
            let joined = !identity.newcomer || providers[identity.slot].present
            guard joined else { continue }
            switch identity.role {
            case .liar:
                liarWork.append(identity.runs)
                liarNodeWork[identity.slot, default: 0] += identity.runs
                if identity.convictedBy > 0 { report.liarsConvicted += 1 }
                if identity.steadyRuns > 0 { report.liarsStillWorking += 1 }
            case .honest:
                if identity.convictedBy > 0 { report.honestFramed += 1 }
                if identity.newcomer { newcomerSteady.append(identity.steadyRuns) } else { honestSteady.append(identity.steadyRuns) }
            case .spy:
                if identity.convictedBy > 0 { report.spiesConvicted += 1 }
            }
        }
        report.liarWorkMedian = SimulationReport.percentile(liarWork, 0.5)
        report.liarWorkP90 = SimulationReport.percentile(liarWork, 0.9)
        let perNode = liarNodeWork.keys.sorted().map { liarNodeWork[$0]! }
        report.liarNodeWorkMedian = SimulationReport.percentile(perNode, 0.5)
        report.liarNodeWorkP90 = SimulationReport.percentile(perNode, 0.9)
        var trustSums = (honest: 0.0, honestCount: 0, liar: 0.0, liarCount: 0)
        for requester in requesters {
            for peer in requester.known where !isBootstrap[peer] {
                let score = requester.trust[providers[peer].id] ?? 0
                switch providers[peer].role {
                case .honest:
                    trustSums.honest += score
                    trustSums.honestCount += 1
                case .liar:
                    trustSums.liar += score
                    trustSums.liarCount += 1
                case .spy: break
                }
            }
        }
        report.meanTrustInHonest = trustSums.honestCount == 0 ? 0 : trustSums.honest / Double(trustSums.honestCount)
        report.meanTrustInLiars = trustSums.liarCount == 0 ? 0 : trustSums.liar / Double(trustSums.liarCount)
        report.honestSteadyRuns = SimulationReport.median(honestSteady)
        report.honestNewcomerSteadyRuns = SimulationReport.median(newcomerSteady)
        return report
    }
}
