import Foundation
import GridCore

/// A deterministic simulation of one requester routing tasks over a crowd of simulated peers,
/// some of which lie, with the real ``SkillRouter``, ``Experience``, ``TrustGraph`` and
/// ``VerificationPolicy`` at a fixed share (docs/ROUTING.md, "How well liars are caught").
///
/// A task arrives every ``Settings/taskInterval`` and runs for 20-60 ms, so several are in flight
/// at once, and other users' work moves each peer's announced load (re-drawn every simulated
/// second; what it announces includes the requester's tasks running there then). Each task is routed among the peers (this node lacks capacity for it, so it always
/// goes out), runs on the best candidate, and its result is accepted — a wrong one too, since
/// nothing shows it wrong yet. With the spot-check fraction, the requester then re-runs the task and compares:
/// a liar is convicted (`wrongResult`), which costs it rating and trust. Liars also collude: each
/// reports full trust in the other liars. Trust is recomputed every ``Settings/trustEvery`` tasks.
public struct RoutingSimulation: Sendable {
    public struct Settings: Sendable {
        public var peers = 100
        /// Share of the peers that lie.
        public var liarFraction = 0.3
        /// Chance that a liar lies on a given task (1: always).
        public var lieProbability = 1.0
        public var tasks = 10_000
        /// Share of accepted results the requester re-runs to check.
        public var spotCheckFraction = 0.05
        /// Tasks between two trust recomputations.
        public var trustEvery = 100
        /// Simulated time between two tasks.
        public var taskInterval: Duration = .milliseconds(5)
        public var seed: UInt64 = 1

        public init() {}
    }

    /// What happened, in blocks of 1000 tasks.
    public struct Report: Sendable, Equatable {
        public var tasks = 0
        public var wrongAccepted = 0
        public var spotChecks = 0
        public var liarsCaught = 0
        /// Wrong results accepted in each block of 1000 tasks.
        public var wrongPerBlock: [Int] = []
        /// Wrong results accepted per 1000 tasks over the whole run.
        public var wrongPerThousand: Double { tasks == 0 ? 0 : Double(wrongAccepted) * 1000 / Double(tasks) }
        /// Share of the tasks in the last block that went to a liar.
        public var lastBlockToLiars = 0.0
    }

    public let settings: Settings

    public init(settings: Settings) {
        self.settings = settings
    }

    /// Runs the simulation on a thread of its own: it is seconds of CPU in a debug build, and on
    /// the cooperative pool (two threads on two cores) it would stall every other test meanwhile.
    public func runOnOwnThread() async -> Report {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: self.run()) }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    public func run() -> Report {
        var rng = SeededRandomNumberGenerator(seed: settings.seed)
        let requester = Self.id(0)
        let skill = try! SkillID("work")
        let peers = (1...settings.peers).map { Self.id(UInt32($0)) }
        let liarCount = Int((Double(settings.peers) * settings.liarFraction).rounded())
        let liars = Set(peers.shuffled(using: &rng).prefix(liarCount))

        let start = ContinuousClock.now
        var now = start
        var registry = SkillRegistry(settings: .init(expiry: .seconds(3600)))
        var experience = Experience()
        var graph = TrustGraph(localNode: requester, preTrusted: [])
        // The liars collude: each reports full, equal trust in the others.
        for liar in liars.sorted() {
            let others = liars.subtracting([liar]).sorted()
            let share = 1 / Double(others.count)
            try! graph.receiveReport(from: liar, epoch: 1, entries: others.map { ($0, share) })
        }
        graph.recompute()
        let router = SkillRouter()
        // A fixed share checked (no probation): the policy's floor alone.
        let spotChecks = VerificationPolicy(probation: 0, floor: settings.spotCheckFraction)
        let local = SkillRouter.LocalNode(id: requester, skills: [], capacity: 4)  // busy: every task goes out

        var report = Report()
        var convicted = Set<NodeID>()
        var blockWrong = 0
        var lastBlockToLiars = 0
        var trust: [NodeID: Double] = [:]
        var running: [(peer: NodeID, until: ContinuousClock.Instant)] = []
        for task in 0..<settings.tasks {
            now = start + settings.taskInterval * task
            if task % settings.trustEvery == 0 {
                graph.setLocalTrust(experience.localTrust(now: now))
                graph.recompute()
                trust = Dictionary(uniqueKeysWithValues: graph.ranking().map { ($0.node, graph.trustScore(of: $0.node)) })
            }
            running.removeAll { $0.until <= now }
            var inFlight: [NodeID: Int] = [:]
            for task in running { inFlight[task.peer, default: 0] += 1 }
            if task % 200 == 0 {  // every simulated second, other users' load moves
                for peer in peers {
                    // A peer announces all it runs: other users' tasks and ours.
                    let load = Int.random(in: 0...3, using: &rng) + inFlight[peer, default: 0]
                    registry.update(peer, .init(skills: [skill], capacity: 4, load: load, lastSeen: now))
                }
            }
            let route = router.route(
                .init(skill: skill), local: local, registry: registry, experience: experience,
                peers: .init(trust: trust, inFlight: inFlight), now: now, using: &rng)
            guard let executor = route.nodes.first else { continue }
            let lied = liars.contains(executor) && Double.random(in: 0..<1, using: &rng) < settings.lieProbability
            let latency = Duration.milliseconds(Int.random(in: 20...60, using: &rng))
            running.append((executor, now + latency))
            // The result is accepted as it comes: the requester cannot tell yet.
            experience.record(.success, node: executor, skill: skill, latency: latency, now: now)
            if lied { blockWrong += 1 }
            if liars.contains(executor), task >= settings.tasks - 1000 { lastBlockToLiars += 1 }
            if spotChecks.shouldVerify(verified: 0, deterministic: true, mode: .sample, using: &rng) {
                report.spotChecks += 1
                if lied {
                    experience.record(.wrongResult, node: executor, skill: skill, now: now)
                    convicted.insert(executor)
                    graph.removeReport(from: executor)  // a convicted node's word counts for nothing
                }
            }
            report.tasks += 1
            if report.tasks % 1000 == 0 {
                report.wrongPerBlock.append(blockWrong)
                report.wrongAccepted += blockWrong
                blockWrong = 0
            }
        }
        report.wrongAccepted += blockWrong
        if blockWrong > 0 || report.tasks % 1000 != 0 { report.wrongPerBlock.append(blockWrong) }
        report.liarsCaught = convicted.count
        report.lastBlockToLiars = Double(lastBlockToLiars) / Double(min(1000, settings.tasks))
        return report
    }

    /// Node IDs for the simulation: `n` in the first four bytes.
    static func id(_ n: UInt32) -> NodeID {
        var bytes = [UInt8](repeating: 0xA5, count: 32)
        withUnsafeBytes(of: n.bigEndian) { for (i, b) in $0.enumerated() { bytes[i] = b } }
        return try! NodeID(bytes: bytes)
    }
}
