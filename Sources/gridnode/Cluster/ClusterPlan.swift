import Foundation
import GridCore

/// What `gridnode cluster up` will create, worked out from its flags before anything is touched:
/// node names (`node1` …), ports (`basePort`, `basePort + 1`, …) and each node's skills.
struct ClusterPlan: Equatable {
    struct Node: Equatable {
        var name: String
        var port: Int
        var skills: [String]
    }

    var nodes: [Node]

    /// The most nodes one cluster may have: a tester's machine, not a data centre.
    static let maxNodes = 64
    /// Skills of a node that `--skills` does not name.
    static let defaultSkills = ["echo", "sha256", "sleep"]

    /// `skillSpecs` are `--skills` values: `node2=sleep,sha256` gives one node its skills,
    /// `all=echo` every node not named; `node3=` serves no built-in skill.
    init(count: Int, basePort: Int, skillSpecs: [String]) throws(GridError) {
        guard (1...Self.maxNodes).contains(count) else {
            throw GridError(.clusterPlan, "--nodes is \(count); use 1-\(Self.maxNodes)")
        }
        guard (1...(65_535 - count + 1)).contains(basePort) else {
            throw GridError(.clusterPlan, "--base-port is \(basePort); use 1-\(65_535 - count + 1) so that all \(count) ports fit")
        }
        let names = (1...count).map { "node\($0)" }
        var defaults = Self.defaultSkills
        var given: [String: [String]] = [:]
        for spec in skillSpecs {
            guard let equals = spec.firstIndex(of: "=") else {
                throw GridError(.clusterPlan, "--skills '\(spec)' is not NODE=SKILL,SKILL; for example node2=sleep,sha256 or all=echo")
            }
            let name = String(spec[..<equals])
            var skills: [String] = []
            for part in spec[spec.index(after: equals)...].split(separator: ",") {
                let skill = part.trimmingCharacters(in: .whitespaces)
                guard !skill.isEmpty else { continue }
                do { _ = try SkillID(skill) } catch { throw GridError(.clusterPlan, "--skills '\(spec)': \(error.message)") }
                skills.append(skill)
            }
            if name == "all" {
                defaults = skills
            } else if names.contains(name) {
                guard given[name] == nil else { throw GridError(.clusterPlan, "--skills names \(name) twice; give each node once") }
                given[name] = skills
            } else {
                throw GridError(.clusterPlan, "--skills names '\(name)', but the nodes are node1 to node\(count)")
            }
        }
        nodes = names.enumerated().map { index, name in Node(name: name, port: basePort + index, skills: given[name] ?? defaults) }
    }
}
