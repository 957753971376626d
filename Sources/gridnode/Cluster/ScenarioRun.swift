import Foundation
import GridClient
import GridCore
import GridLocalAPI
import GridNode

/// Plays a ``Scenario``: brings its cluster up, drives the load, carries out each step at its time,
/// and reports what happened from the load's own figures and the nodes' metrics.
struct ScenarioRun {
    let scenario: Scenario
    let cluster: ClusterDirectory
    let basePort: Int
    /// Each node in a network namespace of its own (``ClusterNetwork``), where the machine allows.
    var netns = false

    /// What `cluster run` prints and writes with `--json`.
    struct Report: Codable {
        struct Event: Codable {
            var atSeconds: Double
            var action: String
            var result: String
        }

        struct Check: Codable {
            var expectation: String
            var met: Bool
            var actual: Int
        }

        var scenario: String
        var directory: String
        var events: [Event]
        var load: LoadReport
        /// Attempts the load's node tried again (its metrics' `tasks.retried`).
        var retried: UInt64
        /// Convictions of a wrong result (one per provider and task), summed over the nodes up at the end.
        var convictions: UInt64
        /// The providers some node up at the end holds wrong results against, by name.
        var convicted: [String]
        /// Delivered results a check later proved wrong (the load node's `tasks.contradicted`).
        var contradicted: UInt64
        /// Tasks of the load node completed by each executor, by node name.
        var completedBy: [String: UInt64]
        var checks: [Check]
        var passed: Bool { checks.allSatisfy(\.met) }
    }

    func run() async throws -> Report {
        let timeline = try scenario.timeline()
        let plan = try ClusterPlan(count: scenario.nodes, basePort: basePort, skillSpecs: scenario.skills ?? [])
        var control = try await ClusterControl.up(plan, in: cluster, allowFaults: true, netns: netns, timeout: .seconds(60))
        let names = Dictionary(uniqueKeysWithValues: control.file.nodes.map { ($0.nodeId, $0.name) })
        let loadPlan = try makeLoadPlan()
        let loadNode = control.cluster.dataDirectory(scenario.load.node)
        let before = try await Self.metrics(loadNode)

        let started = ContinuousClock.now
        var events: [Report.Event] = []
        func note(_ action: String, _ result: String) {
            let elapsed = started.duration(to: .now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            events.append(.init(atSeconds: (seconds * 100).rounded() / 100, action: action, result: result))
            Console.error(String(format: "%7.2f s  %@: %@\n", seconds, action, result))
        }
        let pace = scenario.load.rate.map { "\($0) tasks/s" } ?? "\(scenario.load.concurrency ?? 0) workers"
        note("load", "\(scenario.load.skill) on \(scenario.load.node), \(pace) for \(scenario.load.duration)")
        let params = submitParams()
        let expected = LoadOutputCheck.expected(skill: params.skill, input: LoadOutputCheck.input(of: params))
        async let loaded = LoadRun(
            plan: loadPlan, params: params, socketPath: loadNode.socketPath, display: LoadProgressDisplay(onTerminal: false),
            expected: expected
        ).run(unreachable: "the scenario's load node went away")
        for (offset, step) in timeline {
            let wait = started.duration(to: .now)
            if offset > wait { try await Task.sleep(for: offset - wait) }
            let result: String
            do {
                result = try await carryOut(step, on: &control)
            } catch let error as GridError {
                result = "failed: \(error.message)"
            } catch let error as RPCError {
                result = "failed: \(error.message)"
            }
            note(describe(step), result)
        }
        let outcome = try await loaded
        note("load ended", "\(outcome.stats.succeeded) succeeded, \(outcome.stats.failed) failed")
        let report = LoadReport(
            plan: loadPlan, skill: scenario.load.skill, node: scenario.load.node, stats: outcome.stats, elapsed: outcome.elapsed,
            stoppedEarly: outcome.stoppedEarly, checked: expected != nil)

        let after = try await Self.metrics(loadNode)
        var convictions: UInt64 = 0
        var convicted: Set<String> = []
        for node in control.file.nodes where control.isRunning(node) {
            let data = control.cluster.dataDirectory(node.name)
            convictions += (try? await Self.metrics(data).tasks.convictions) ?? 0
            let peers = (try? await GridClient.withConnection(socketPath: data.socketPath) { try await $0.peers() }) ?? []
            for peer in peers where peer.wrongResults > 0 { convicted.insert(names[peer.nodeId] ?? String(peer.nodeId.prefix(8))) }
        }
        var completedBy: [String: UInt64] = [:]
        for peer in after.peers {
            let earlier: UInt64 = before.peers.first(where: { $0.peer == peer.peer })?.tasks.completed ?? 0
            let done: UInt64 = peer.tasks.completed - earlier
            let name: String = names[peer.peer] ?? String(peer.peer.prefix(8))
            if done > 0 { completedBy[name, default: 0] += done }
        }
        let local = after.tasks.executedLocally - before.tasks.executedLocally
        if local > 0 { completedBy[scenario.load.node, default: 0] += local }
        let contradicted = after.tasks.contradicted - before.tasks.contradicted
        return Report(
            scenario: scenario.name, directory: cluster.path, events: events, load: report,
            retried: after.tasks.retried - before.tasks.retried, convictions: convictions, convicted: convicted.sorted(),
            contradicted: contradicted, completedBy: completedBy,
            checks: checks(report, convicted: convicted.count, contradicted: contradicted))
    }

    private func checks(_ load: LoadReport, convicted: Int, contradicted: UInt64) -> [Report.Check] {
        guard let expect = scenario.expect else { return [] }
        var checks: [Report.Check] = []
        if let most = expect.maxFailed { checks.append(.init(expectation: "at most \(most) failed", met: load.failed <= most, actual: load.failed)) }
        if let least = expect.minSucceeded {
            checks.append(.init(expectation: "at least \(least) succeeded", met: load.succeeded >= least, actual: load.succeeded))
        }
        if let least = expect.minConvicted {
            checks.append(.init(expectation: "at least \(least) convicted", met: convicted >= least, actual: convicted))
        }
        if let most = expect.maxWrong {
            checks.append(.init(expectation: "at most \(most) wrong outputs", met: load.wrongOutputs <= most, actual: load.wrongOutputs))
        }
        if let most = expect.maxContradicted {
            checks.append(.init(expectation: "at most \(most) contradicted", met: contradicted <= most, actual: Int(contradicted)))
        }
        return checks
    }

    private func makeLoadPlan() throws(GridError) -> LoadPlan {
        let duration: Duration
        do { duration = try LoadDuration.parse(scenario.load.duration) } catch { throw GridError(.scenario, "load.duration: \(error.message)") }
        return try LoadPlan(rate: scenario.load.rate, concurrency: scenario.load.concurrency, duration: duration)
    }

    private func submitParams() -> SubmitParams {
        var params = SubmitParams(skill: scenario.load.skill, input: scenario.load.input ?? "load", wait: true)
        params.timeoutMs = scenario.load.timeout.map { Int(($0 * 1000).rounded(.up)) }
        params.verify = scenario.load.verify
        params.replicas = scenario.load.replicas
        return params
    }

    private func describe(_ step: Scenario.Step) -> String {
        ([step.action.rawValue] + (step.nodes ?? [])).joined(separator: " ")
    }

    private func carryOut(_ step: Scenario.Step, on control: inout ClusterControl) async throws -> String {
        let nodes = step.nodes ?? []
        func each(_ change: @escaping (inout FaultPlan) -> Void) async throws -> String {
            var done: [String] = []
            for node in nodes { done.append("\(node): \(try await control.changeFaults(node, change).summary)") }
            return done.joined(separator: "; ")
        }
        switch step.action {
        case .kill:
            var done: [String] = []
            for node in nodes { done.append(try await control.kill(node)) }
            return done.joined(separator: "; ")
        case .stop:
            var done: [String] = []
            for node in nodes { done.append(try await control.stop(node, timeout: .seconds(30))) }
            return done.joined(separator: "; ")
        case .start:
            for node in nodes { try await control.start(node, timeout: .seconds(30)) }
            return "started \(nodes.joined(separator: ","))"
        case .partition: return try await control.partition(nodes, from: step.from ?? []).joined(separator: "; ")
        case .heal: return try await control.heal(nodes).joined(separator: "; ")
        case .delay: return try await each { [step] in
                $0.delayMs = step.ms ?? 0
                $0.jitterMs = step.jitter ?? 0
            }
        case .drop: return try await each { [step] in $0.dropShare = step.share ?? 0 }
        case .lie: return try await each { [step] in $0.lyingSkills.insert(step.skill ?? "") }
        case .stall: return try await each { [step] in $0.stalledSkills.insert(step.skill ?? "") }
        case .slow: return try await each { [step] in $0.slowMs = step.ms ?? 0 }
        case .refuse: return try await each { $0.refuseConnections = true }
        }
    }

    static func metrics(_ data: DataDirectory) async throws -> MetricsSnapshot {
        try await GridClient.withConnection(socketPath: data.socketPath) { try await $0.metrics() }
    }
}
