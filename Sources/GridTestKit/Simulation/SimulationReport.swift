/// What one ``GridSimulation`` run found. Counts are over the whole run unless they say
/// `steady` (the last ``GridSimulation/Settings/steadyShare`` of the tasks).
public struct SimulationReport: Sendable, Equatable, Codable {
    public var nodes = 0
    public var liars = 0
    public var spies = 0
    public var newcomers = 0

    /// Tasks that got a result (delivered), and tasks no provider had room for.
    public var tasks = 0
    public var unplaced = 0
    /// `strict` tasks whose runs reached no majority (nothing delivered).
    public var failed = 0
    /// Tasks delivered with a wrong output.
    public var wrongAccepted = 0
    /// Of those, the ones no check contradicted (the requester never learnt).
    public var wrongUndetected = 0
    /// Wrong results accepted in each tenth of the run.
    public var wrongPerBlock: [Int] = []
    /// Extra runs: checks (a `strict` task's second run included) and tie-breakers.
    public var checks = 0
    public var tieBreakers = 0
    /// Votes that ended with no majority possible, and votes that found no node left to run
    /// the check or tie-breaker they needed.
    public var inconclusive = 0
    public var noExtraRunner = 0
    /// Extra runs that had to wait for a place at a busy node (no node with room was left).
    public var extraRunsWaited = 0
    /// All runs, and those on liars.
    public var runs = 0
    public var liarRuns = 0

    /// Convictions of (requester, node) pairs from the requester's own votes, and from evidence.
    public var liarConvictions = 0
    public var liarConvictionsByEvidence = 0
    /// Honest nodes convicted: framings.
    public var framings = 0
    public var framingsByEvidence = 0
    /// Of the convictions from evidence, those at a requester that had the accused in its
    /// registry (the ones that cost the accused work; the others only matter if they meet later).
    public var liarConvictionsByEvidenceWhereKnown = 0
    public var framingsByEvidenceWhereKnown = 0
    /// Votes (checks and their tie-breakers) that accepted a wrong output: liars agreeing.
    public var votesWronglySettled = 0
    public var spyConvictions = 0
    public var spyConvictionsByEvidence = 0
    /// Liar identities convicted by at least one requester, and honest ones (framed).
    public var liarsConvicted = 0
    public var honestFramed = 0
    public var spiesConvicted = 0
    public var evidenceSent = 0
    public var evidenceIgnored = 0
    /// Evidence a receiver settled by running the task itself (extra work too).
    public var evidenceReruns = 0
    /// Votes accepted without an anchor in the agreement (none was left to ask).
    public var unanchoredVotes = 0

    /// Runs each liar identity got over the run (it gets none once every requester using it has
    /// convicted it): median and 90th percentile. `perNode` sums a Sybil's identities.
    public var liarWorkMedian = 0
    public var liarWorkP90 = 0
    public var liarNodeWorkMedian = 0
    public var liarNodeWorkP90 = 0
    /// Liar identities that still got work in the steady state (their counts are lower bounds).
    public var liarsStillWorking = 0
    public var sybilRebirths = 0

    /// Median runs per honest node in the steady state: newcomers, and the others.
    public var honestNewcomerSteadyRuns = 0.0
    public var honestSteadyRuns = 0.0

    public var steadyTasks = 0
    public var steadyFailed = 0
    public var steadyWrong = 0
    public var steadyExtraRuns = 0
    public var steadyRuns = 0
    public var steadyLiarRuns = 0

    /// Mean trust score (0...1, the router's trust part) that requesters give, at the end of the
    /// run, to the honest nodes and to the liars in their registries (bootstrap nodes left out:
    /// they are pre-trusted), convicted ones included.
    public var meanTrustInHonest = 0.0
    public var meanTrustInLiars = 0.0

    public var trustRecomputes = 0
    public var reportsRefused = 0

    public init() {}

    /// Wrong results accepted per task.
    public var wrongShare: Double { Self.ratio(wrongAccepted, tasks) }
    /// Extra runs per task.
    public var extraWork: Double { Self.ratio(checks + tieBreakers + evidenceReruns, tasks + failed) }
    public var steadyWrongShare: Double { Self.ratio(steadyWrong, steadyTasks) }
    public var steadyExtraWork: Double { Self.ratio(steadyExtraRuns, steadyTasks + steadyFailed) }
    /// Share of all runs that went to liars.
    public var liarWorkShare: Double { Self.ratio(liarRuns, runs) }
    public var steadyLiarWorkShare: Double { Self.ratio(steadyLiarRuns, steadyRuns) }

    static func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }

    /// Nearest-rank percentile of `values` (sorted here).
    static func percentile(_ values: [Int], _ p: Double) -> Int {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank - 1, 0), sorted.count - 1)]
    }

    static func median(_ values: [Int]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? Double(sorted[mid]) : Double(sorted[mid - 1] + sorted[mid]) / 2
    }
}

extension SimulationReport {
    /// A percentage with `digits` decimals, without Foundation's formatting (same text everywhere).
    static func percent(_ x: Double, digits: Int = 2) -> String {
        fixed(x * 100, digits: digits) + " %"
    }

    static func fixed(_ x: Double, digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int((abs(x) * scale).rounded())
        let whole = scaled / Int(scale)
        let fraction = scaled % Int(scale)
        var text = (x < 0 && scaled != 0 ? "-" : "") + String(whole)
        if digits > 0 {
            let digitsText = String(fraction)
            text += "." + String(repeating: "0", count: digits - digitsText.count) + digitsText
        }
        return text
    }

    /// The report as lines of text.
    public var text: String {
        var lines: [String] = []
        lines.append("nodes \(nodes): \(liars) liars, \(spies) spies, \(newcomers) newcomers; \(runs) runs")
        lines.append(
            "tasks \(tasks) delivered, \(unplaced) unplaced, \(failed) failed (no majority)")
        lines.append(
            "wrong results accepted: \(wrongAccepted) = \(Self.percent(wrongShare)) (\(wrongUndetected) never contradicted); per tenth of the run: \(wrongPerBlock.map(String.init).joined(separator: " "))")
        lines.append(
            "extra work: \(checks) checks + \(tieBreakers) tie-breakers + \(evidenceReruns) re-runs of evidence = \(Self.percent(extraWork, digits: 1)) of tasks; \(votesWronglySettled) votes settled on a wrong output, \(unanchoredVotes) accepted unanchored, \(inconclusive) without a majority, \(noExtraRunner) without a node for the next run; \(extraRunsWaited) extra runs waited for a place")
        lines.append(
            "liars' share of runs: \(Self.percent(liarWorkShare, digits: 1)) (steady \(Self.percent(steadyLiarWorkShare, digits: 1)))")
        lines.append(
            "runs per liar until it loses its work: median \(liarWorkMedian), p90 \(liarWorkP90) (per node over its identities: median \(liarNodeWorkMedian), p90 \(liarNodeWorkP90)); \(liarsStillWorking) liar identities still got work in the steady state")
        lines.append(
            "liars convicted: \(liarsConvicted) identities by someone; \(liarConvictions) convictions from own votes + \(liarConvictionsByEvidence) from evidence (\(liarConvictionsByEvidenceWhereKnown) where the liar was known)")
        lines.append(
            "framings: \(honestFramed) honest nodes convicted by someone; \(framings) convictions from own votes + \(framingsByEvidence) from evidence (\(framingsByEvidenceWhereKnown) where the node was known); spies convicted: \(spiesConvicted) (\(spyConvictions) + \(spyConvictionsByEvidence))")
        lines.append("evidence: \(evidenceSent) sent, \(evidenceIgnored) times ignored by a receiver; Sybil identities taken: \(sybilRebirths)")
        lines.append(
            "steady state (\(steadyTasks) tasks): wrong \(steadyWrong) = \(Self.percent(steadyWrongShare)), extra work \(Self.percent(steadyExtraWork, digits: 1)); median steady runs per honest node \(Self.fixed(honestSteadyRuns, digits: 1)), per honest newcomer \(Self.fixed(honestNewcomerSteadyRuns, digits: 1))")
        lines.append(
            "trust recomputes: \(trustRecomputes); reports refused: \(reportsRefused); mean trust score at the end in known honest nodes \(Self.fixed(meanTrustInHonest, digits: 3)), in known liars \(Self.fixed(meanTrustInLiars, digits: 3))")
        return lines.joined(separator: "\n")
    }

    /// The columns of docs/TRUST.md's tables.
    public static let markdownHeader =
        "| wrong accepted | steady wrong | extra work | steady extra | runs per liar, median / p90 | liars still working | liars convicted | framings (nodes; convictions) |\n|---:|---:|---:|---:|---:|---:|---:|---:|"

    public var markdownRow: String {
        "| \(Self.percent(wrongShare)) | \(Self.percent(steadyWrongShare)) | \(Self.percent(extraWork, digits: 1)) | \(Self.percent(steadyExtraWork, digits: 1)) | \(liarWorkMedian) / \(liarWorkP90) | \(liarsStillWorking) | \(liarsConvicted) of \(liars + sybilRebirths) | \(honestFramed); \(framings + framingsByEvidence) |"
    }
}
