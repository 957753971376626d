import Foundation
import GridCore

/// A scenario file for `gridnode cluster run`: a cluster, a load on one of its nodes, and a timed
/// script of faults, kills and restarts, with what must hold at the end. Format in README's "Test a
/// grid on one machine"; examples in Benchmarks/Scenarios/.
struct Scenario: Codable, Equatable {
    var name: String
    var description: String?
    /// How many nodes, named node1 … as `cluster up` names them.
    var nodes: Int
    /// As `cluster up --skills`: `node1=`, `all=sleep,sha256`, …
    var skills: [String]?
    var load: Load
    var steps: [Step]
    var expect: Expectations?

    struct Load: Codable, Equatable {
        var node: String
        var skill: String
        /// The input of every task, as text (`"50"` for sleep's milliseconds); else as `gridnode load`.
        var input: String?
        var rate: Double?
        var concurrency: Int?
        /// `30s`, `500ms`, `2m`, or seconds.
        var duration: String
        /// Seconds each task may take.
        var timeout: Double?
        var verify: String?
        var replicas: Int?
    }

    /// One action at `at` after the load begins.
    struct Step: Codable, Equatable {
        enum Action: String, Codable, CaseIterable {
            case kill, stop, start, partition, delay, drop, lie, stall, slow, refuse, heal
        }

        var at: String
        var action: Action
        /// The nodes it acts on (for heal: none for all; for partition: one side).
        var nodes: [String]?
        /// Partition: the other side (default: every other node).
        var from: [String]?
        var skill: String?
        var ms: Int?
        var jitter: Int?
        var share: Double?
    }

    /// What must hold once the load has ended; `cluster run` exits 1 when something does not.
    struct Expectations: Codable, Equatable {
        /// At most this many tasks of the load fail.
        var maxFailed: Int?
        /// At least this many succeed.
        var minSucceeded: Int?
        /// At least this many providers are held to have lied by some node of the cluster.
        var minConvicted: Int?
        /// At most this many delivered results are later proved wrong (`contradicted`).
        var maxContradicted: Int?
        /// At most this many outputs the load received are wrong (checked for echo and sha256).
        var maxWrong: Int?
    }

    /// Reads and checks a scenario file; every problem names the field and what is allowed.
    static func load(from path: String) throws(GridError) -> Scenario {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw GridError(.scenario, "cannot read scenario file \(path); give the path of a .json file such as Benchmarks/Scenarios/partition-heals.json")
        }
        let scenario: Scenario
        do {
            scenario = try JSONDecoder().decode(Scenario.self, from: data)
        } catch {
            throw GridError(.scenario, "\(path) is not a scenario: \(error); see README's \"Test a grid on one machine\" for the format")
        }
        try scenario.validate(source: path)
        return scenario
    }

    /// A step's time after the load begins: a duration as `gridnode load --duration` reads it, or 0.
    static func offset(_ text: String) throws(GridError) -> Duration {
        ["0", "0s", "0ms"].contains(text) ? .zero : try LoadDuration.parse(text)
    }

    /// The steps in time order (steps at the same time in file order), each with its offset.
    func timeline() throws(GridError) -> [(offset: Duration, step: Step)] {
        var timed: [(offset: Duration, step: Step)] = []
        for step in steps {
            do {
                timed.append((try Self.offset(step.at), step))
            } catch {
                throw GridError(.scenario, "step \(step.action.rawValue) at '\(step.at)': \(error.message)")
            }
        }
        return timed.enumerated().sorted { ($0.element.offset, $0.offset) < ($1.element.offset, $1.offset) }.map(\.element)
    }

    func validate(source: String) throws(GridError) {
        func fail(_ message: String) throws(GridError) -> Never { throw GridError(.scenario, "\(source): \(message)") }
        let plan: ClusterPlan
        do { plan = try ClusterPlan(count: nodes, basePort: 1, skillSpecs: skills ?? []) } catch { try fail(error.message) }
        let names = Set(plan.nodes.map(\.name))
        func known(_ list: [String]?, _ what: String) throws(GridError) {
            for name in list ?? [] where !names.contains(name) { try fail("\(what) names '\(name)'; the nodes are node1 to node\(nodes)") }
        }
        try known([load.node], "load.node")
        do { _ = try LoadDuration.parse(load.duration) } catch { try fail("load.duration: \(error.message)") }
        if (load.rate == nil) == (load.concurrency == nil) { try fail("load needs exactly one of rate and concurrency") }
        for (index, step) in steps.enumerated() {
            let which = "step \(index + 1) (\(step.action.rawValue))"
            do { _ = try Self.offset(step.at) } catch { try fail("\(which): at: \(error.message)") }
            try known(step.nodes, which)
            try known(step.from, which + " from")
            let needsNodes = step.action != .heal
            if needsNodes && (step.nodes ?? []).isEmpty { try fail("\(which) needs \"nodes\"") }
            switch step.action {
            case .lie, .stall:
                if step.skill == nil { try fail("\(which) needs \"skill\"") }
            case .delay, .slow:
                if step.ms == nil { try fail("\(which) needs \"ms\"") }
            case .drop:
                if step.share == nil { try fail("\(which) needs \"share\" (0-1)") }
            case .kill, .stop, .start, .partition, .refuse, .heal:
                break
            }
        }
    }
}
