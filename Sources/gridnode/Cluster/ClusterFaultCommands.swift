import ArgumentParser
import GridCore

extension Cluster {
    struct Fault: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Inject a fault into running nodes (started with --allow-faults, as cluster up does); gridnode cluster heal undoes it.",
            subcommands: [Partition.self, Delay.self, Drop.self, Lie.self, Stall.self, Slow.self, Refuse.self])
    }

    struct Heal: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Clear every fault of the nodes named (of all nodes when none is named).")

        @OptionGroup var dir: ClusterDirOption

        @Argument(help: "The nodes to heal (default: all).")
        var nodes: [String] = []

        func run() async throws {
            try await reportingErrors {
                for line in try await dir.control().heal(nodes) { print(line) }
            }
        }
    }
}

/// Names given as `node1,node2` or as separate arguments.
private func names(_ arguments: [String]) -> [String] {
    arguments.flatMap { $0.split(separator: ",").map(String.init) }.filter { !$0.isEmpty }
}

/// Applies `change` to each named node's fault plan and prints the plan it now has.
private func change(_ dir: ClusterDirOption, _ nodes: [String], _ change: @escaping (inout FaultPlan) -> Void) async throws {
    try await reportingErrors {
        let control = try dir.control()
        for node in names(nodes) {
            let plan = try await control.changeFaults(node, change)
            print("\(node): \(plan.summary)")
        }
    }
}

extension Cluster.Fault {
    struct Partition: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cut two sets of nodes off from each other both ways: partition node1,node2 node3 (one set alone: from all others).")

        @OptionGroup var dir: ClusterDirOption

        @Argument(help: "The first set, comma-separated.")
        var left: String

        @Argument(help: "The second set, comma-separated (default: every other node).")
        var right: String?

        func run() async throws {
            try await reportingErrors {
                for line in try await dir.control().partition(names([left]), from: names(right.map { [$0] } ?? [])) { print(line) }
            }
        }
    }

    struct Delay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Hold back every frame the nodes send to peers, keeping their order.")

        @OptionGroup var dir: ClusterDirOption
        @Argument var nodes: [String]
        @Option(help: "Milliseconds added to each frame.") var ms: Int
        @Option(help: "Milliseconds of jitter either way.") var jitter = 0

        func run() async throws {
            try await change(dir, nodes) { [ms, jitter] in
                $0.delayMs = ms
                $0.jitterMs = jitter
            }
        }
    }

    struct Drop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Drop a share of the frames the nodes receive from peers.")

        @OptionGroup var dir: ClusterDirOption
        @Argument var nodes: [String]
        @Option(help: "The share of frames dropped, 0-1.") var share: Double

        func run() async throws {
            try await change(dir, nodes) { [share] in $0.dropShare = share }
        }
    }

    struct Lie: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make the nodes return wrong (correctly signed) results for a skill.")

        @OptionGroup var dir: ClusterDirOption
        @Argument var nodes: [String]
        @Option(help: "The skill that lies.") var skill: String

        func run() async throws {
            try await change(dir, nodes) { [skill] in $0.lyingSkills.insert(skill) }
        }
    }

    struct Stall: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a skill's runs on the nodes never answer, until healed.")

        @OptionGroup var dir: ClusterDirOption
        @Argument var nodes: [String]
        @Option(help: "The skill that stalls.") var skill: String

        func run() async throws {
            try await change(dir, nodes) { [skill] in $0.stalledSkills.insert(skill) }
        }
    }

    struct Slow: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Slow the nodes' executors: every run starts this much later.")

        @OptionGroup var dir: ClusterDirOption
        @Argument var nodes: [String]
        @Option(help: "Milliseconds added before each run.") var ms: Int

        func run() async throws {
            try await change(dir, nodes) { [ms] in $0.slowMs = ms }
        }
    }

    struct Refuse: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make the nodes refuse new peer connections (open ones stay).")

        @OptionGroup var dir: ClusterDirOption
        @Argument var nodes: [String]

        func run() async throws {
            try await change(dir, nodes) { $0.refuseConnections = true }
        }
    }
}
