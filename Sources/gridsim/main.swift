import ArgumentParser
import Foundation
import GridCore
import GridTestKit

/// `gridsim`: runs one ``GridSimulation`` and prints its report (docs/TRUST.md, "Lying providers
/// at grid scale"). Build it in release mode for the big runs:
/// `swift build -c release --product gridsim && .build/release/gridsim --nodes 10000 --model B`.
struct Gridsim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gridsim",
        abstract: "Simulates a grid with lying providers over the real routing, trust and verification machines.",
        discussion: "Every default is GridSimulation.Settings' (docs/TRUST.md). The same options and seed give the same report.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, markdown, json }

    @Option(help: "Nodes in the grid, newcomers included.") var nodes = 1000
    @Option(help: "Share of the nodes that are malicious.") var malicious = 0.3
    @Option(help: "Threat model: A (individual liars), B (collective), C (camouflage), D (spies).") var model = "A"
    @Option(help: "Model C: share of tasks the collective answers honestly.") var camouflage = 0.5
    @Option(help: "Model D: share of the malicious nodes that are spies.") var spies = 0.25
    @Option(name: .customLong("tasks-per-node"), help: "Tasks in the run per node.") var tasksPerNode = 50
    @Option(name: .customLong("known-peers"), help: "Peers each requester knows besides the bootstrap nodes.") var knownPeers = 50
    @Option(help: "Honest bootstrap nodes, known and pre-trusted by all.") var bootstrap = 5
    @Option(help: "Runs a provider takes at once.") var capacity = 4
    @Option(help: "Share of the grid's places the tasks' first runs keep busy.") var utilisation = 0.25
    @Option(name: .customLong("run-ms"), help: "Shortest and longest run, in ms (MIN-MAX).") var runMs = "20-60"
    @Option(name: .customLong("trust-every"), help: "Tasks of a requester between two trust recomputes (M).") var trustEvery = 5
    @ArgumentParser.Flag(help: "No verification, no trust: a random provider among the known ones.") var baseline = false
    @ArgumentParser.Flag(help: "verify: strict — deliver only what two runs agree on.") var strict = false
    @Option(help: "VerificationPolicy probation.") var probation = 3
    @Option(help: "VerificationPolicy floor.") var floor = 0.05
    @Option(name: .customLong("tie-breakers"), help: "VerificationPolicy tie-breakers.") var tieBreakers = 2
    @Option(help: "Share of routing decisions that may explore a novice.") var exploration = 0.02
    @ArgumentParser.Flag(name: .customLong("local-copy"), help: "Requesters run the skill themselves (and check as trusted voters).") var localCopy = false
    @ArgumentParser.Flag(name: .customLong("no-hold"), help: "Deliver a result of a provider on probation before its check settles.") var noHold = false
    @ArgumentParser.Flag(name: .customLong("local-trust-from-confirmed"), help: "Experiment: local trust counts anchored confirmations only.") var localTrustFromConfirmed = false
    @Option(name: .customLong("trust-standing"), help: "Experiment: a trust score giving standing (0: off).") var trustStanding = 0.0
    @Option(help: "Who receives evidence of a conviction: none, knowers, everyone.") var evidence = "everyone"
    @Option(name: .customLong("evidence-delay"), help: "Tasks between a conviction and its evidence arriving (D).") var evidenceDelay = 1000
    @Option(help: "Share of honest and of malicious nodes that join mid-run.") var newcomers = 0.0
    @Option(help: "Times a convicted liar comes back under a fresh identity (K).") var sybils = 0
    @Option(name: .customLong("sybil-rejoin"), help: "Share of its knowers' convictions at which a liar takes a fresh identity.") var sybilRejoin = 0.5
    @Option(help: "Last share of the run reported as the steady state.") var steady = 0.2
    @Option(help: "Seed of the run.") var seed: UInt64 = 1
    @Option(help: "Label of the markdown row.") var label: String?
    @Option(help: "Output: text, markdown (one table row) or json.") var format = Format.text
    @ArgumentParser.Flag(help: "Report progress on stderr.") var progress = false

    var runRange: ClosedRange<Int>? {
        let parts = runMs.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 2, parts[0] >= 0, parts[0] <= parts[1] else { return nil }
        return parts[0]...parts[1]
    }

    func validate() throws {
        guard runRange != nil else { throw ValidationError("--run-ms is \(runMs); use MIN-MAX in ms, such as 20-60") }
        guard ThreatModel(rawValue: model.uppercased()) != nil else { throw ValidationError("--model is \(model); use A, B, C or D") }
        guard GridSimulation.Settings.EvidenceReach(rawValue: evidence) != nil else {
            throw ValidationError("--evidence is \(evidence); use none, knowers or everyone")
        }
        guard nodes >= 10, tasksPerNode >= 1 else { throw ValidationError("use at least 10 nodes and 1 task per node") }
        for (name, value) in [("malicious", malicious), ("camouflage", camouflage), ("spies", spies), ("floor", floor), ("exploration", exploration), ("utilisation", utilisation), ("newcomers", newcomers), ("steady", steady), ("sybil-rejoin", sybilRejoin)] {
            guard (0...1).contains(value) else { throw ValidationError("--\(name) is \(value); use 0-1") }
        }
    }

    var settings: GridSimulation.Settings {
        var s = GridSimulation.Settings()
        s.nodes = nodes
        s.maliciousShare = malicious
        s.model = ThreatModel(rawValue: model.uppercased())!
        s.camouflageHonesty = camouflage
        s.spyShare = spies
        s.tasksPerNode = tasksPerNode
        s.knownPeers = knownPeers
        s.bootstrapNodes = bootstrap
        s.capacity = capacity
        s.trustEvery = trustEvery
        s.utilisation = utilisation
        s.runMilliseconds = runRange!
        s.strategy = baseline ? .baseline : .verified
        s.verifyMode = strict ? .strict : .sample
        s.verification = VerificationPolicy(probation: probation, floor: floor, maxTieBreakers: tieBreakers, holdOnProbation: !noHold)
        s.explorationShare = exploration
        s.requestersRunSkill = localCopy
        s.localTrustFromConfirmed = localTrustFromConfirmed
        s.trustStanding = trustStanding
        s.evidenceReach = .init(rawValue: evidence)!
        s.evidenceDelay = evidenceDelay
        s.newcomerShare = newcomers
        s.sybilIdentities = sybils
        s.sybilRejoinShare = sybilRejoin
        s.steadyShare = steady
        s.seed = seed
        return s
    }

    func run() throws {
        let settings = settings
        let started = Date()
        let total = settings.tasks
        let report = GridSimulation(settings: settings).run(
            progress: progress
                ? { done in FileHandle.standardError.write(Data("gridsim: \(done) of \(total) tasks, \(Int(Date().timeIntervalSince(started))) s\n".utf8)) }
                : nil)
        let seconds = Date().timeIntervalSince(started)
        switch format {
        case .text:
            print(describe(settings))
            print(report.text)
        case .markdown:
            print("| \(label ?? settings.model.rawValue) " + report.markdownRow)
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        }
        FileHandle.standardError.write(Data("gridsim: done in \(Int(seconds.rounded())) s\n".utf8))
    }
}

/// The settings a report depends on, in one line.
func describe(_ s: GridSimulation.Settings) -> String {
    var parts = ["\(s.nodes) nodes", "\(s.maliciousShare) malicious", "model \(s.model.rawValue)"]
    if s.model == .camouflage { parts.append("honest on \(s.camouflageHonesty) of tasks") }
    if s.model == .spies { parts.append("\(s.spyShare) of the malicious are spies") }
    parts.append("\(s.tasks) tasks (\(s.tasksPerNode) per node)")
    if s.strategy == .baseline {
        parts.append("baseline: random provider, no verification, no trust")
    } else {
        let v = s.verification
        parts.append("verify \(s.verifyMode.rawValue) (probation \(v.probation), floor \(v.floor), tie-breakers \(v.maxTieBreakers))")
        parts.append("evidence to \(s.evidenceReach.rawValue) after \(s.evidenceDelay) tasks")
        parts.append("trust every \(s.trustEvery) tasks")
        if s.requestersRunSkill { parts.append("requesters run the skill") }
        if !s.verification.holdOnProbation { parts.append("results of providers on probation not held") }
        if s.localTrustFromConfirmed { parts.append("experiment: local trust from anchored confirmations") }
        if s.trustStanding > 0 { parts.append("experiment: standing from a trust score of \(s.trustStanding)") }
    }
    if s.newcomerShare > 0 { parts.append("\(s.newcomerShare) newcomers") }
    if s.sybilIdentities > 0 { parts.append("Sybils: up to \(s.sybilIdentities) fresh identities at \(s.sybilRejoinShare) of knowers convicting") }
    parts.append("\(s.knownPeers) known peers + \(s.bootstrapNodes) bootstrap, capacity \(s.capacity), utilisation \(s.utilisation), seed \(s.seed)")
    return "gridsim: " + parts.joined(separator: ", ")
}

Gridsim.main()
