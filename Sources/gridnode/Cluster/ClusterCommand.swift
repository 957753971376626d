import ArgumentParser
import Foundation
import GridCore

/// `gridnode cluster`: real multi-node grids on one machine, for testers.
struct Cluster: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Bring up a grid of real gridnode processes on this machine, inject faults, and play scenarios.",
        discussion: """
            A cluster lives in a directory (--dir, default $GRID_CLUSTER, else ./grid-cluster): cluster.json, \
            bootstrap-peers.json, and one data directory per node with its node.log. Every command finds the cluster \
            through that directory, so two clusters in two directories (on two port ranges) run side by side.
            """,
        subcommands: [
            Up.self, Status.self, Submit.self, Logs.self, Stop.self, Kill.self, Start.self, Down.self, Fault.self, Heal.self,
            RunScenario.self,
        ])
}

/// `--dir`, shared by every cluster command.
struct ClusterDirOption: ParsableArguments {
    @Option(name: .customLong("dir"), help: "The cluster's directory (default: $GRID_CLUSTER, else ./grid-cluster).")
    var path: String?

    var directory: ClusterDirectory { ClusterDirectory.resolve(path) }
    func control() throws(GridError) -> ClusterControl { try ClusterControl(directory) }
}

/// A duration in seconds given on the command line, checked.
func seconds(_ value: Double, _ flag: String) throws -> Duration {
    guard value > 0, value <= 86_400 else { throw ValidationError("\(flag) must be 0-86400 seconds; got \(value)") }
    return .milliseconds(Int64((value * 1000).rounded()))
}

extension Cluster {
    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create N nodes (data directories, keys, a bootstrap file), start them, and wait until every node sees every other.")

        @OptionGroup var dir: ClusterDirOption

        @Option(help: "How many nodes (1-\(ClusterPlan.maxNodes)); they are named node1, node2, …")
        var nodes = 3

        @Option(
            parsing: .upToNextOption,
            help: "Skills per node, NODE=SKILL,SKILL … (e.g. node1=echo,sha256 node2=sleep; all=echo for the others; node3= for none). Default \(ClusterPlan.defaultSkills.joined(separator: ",")).")
        var skills: [String] = []

        @Option(name: .customLong("base-port"), help: "node1 listens on this port, node2 on the next, …")
        var basePort = 7501

        @Flag(name: .customLong("without-faults"), help: "Start the nodes without --allow-faults: no fault can be set on them.")
        var withoutFaults = false

        @Flag(help: "Give each node a network namespace and address of its own (10.X.Y.N), joined by a bridge, so that partitions cut real links. Needs root and ip netns; without them, says so and runs on loopback.")
        var netns = false

        @Option(name: .customLong("wait-timeout"), help: "Seconds to wait for the mesh to form.")
        var waitTimeout = 30.0

        @Flag(help: "Print the table as JSON.")
        var json = false

        func run() async throws {
            let timeout = try seconds(waitTimeout, "--wait-timeout")
            try await reportingErrors {
                let plan = try ClusterPlan(count: nodes, basePort: basePort, skillSpecs: skills)
                let control = try await ClusterControl.up(plan, in: dir.directory, allowFaults: !withoutFaults, netns: netns, timeout: timeout)
                let rows = await control.status()
                if json { return try printJSON(rows) }
                print("cluster of \(rows.count) nodes up in \(control.cluster.path)")
                print(ClusterNodeStatus.table(rows))
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Each node's state, peers, tasks in flight, queue, results, success rate and faults.")

        @OptionGroup var dir: ClusterDirOption

        @Flag(help: "Print JSON.")
        var json = false

        @Flag(help: "Redraw the table every second until Ctrl-C (in place on a terminal).")
        var watch = false

        func run() async throws {
            try await reportingErrors {
                let control = try dir.control()
                repeat {
                    let rows = await control.status()
                    if json {
                        try printJSON(rows)
                    } else {
                        if watch && isatty(1) != 0 { print("\u{1B}[H\u{1B}[2J", terminator: "") }
                        print(ClusterNodeStatus.table(rows))
                    }
                    if watch { try? await Task.sleep(for: .seconds(1)) }
                } while watch && !Task.isCancelled
            }
        }
    }

    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Submit a task to one node: gridnode cluster submit NODE SKILL [the options of gridnode submit].")

        @OptionGroup var dir: ClusterDirOption

        @Argument(help: "The node to submit to.")
        var node: String

        @Argument(parsing: .captureForPassthrough, help: "SKILL and the options of gridnode submit (--input, --wait, --replicas …).")
        var submitArguments: [String] = []

        func run() async throws {
            // Everything after NODE is gridnode submit's, but a --dir there is still the cluster's.
            var dir = dir, submitArguments = submitArguments
            if let at = submitArguments.firstIndex(of: "--dir"), at + 1 < submitArguments.count {
                dir.path = submitArguments[at + 1]
                submitArguments.removeSubrange(at...(at + 1))
            }
            let data = try await reportingErrors {
                let control = try dir.control()
                _ = try control.file.node(named: node, in: control.cluster.path)
                return control.cluster.dataDirectory(node).path
            }
            let submit = try gridnode.Submit.parse(["--data-dir", data] + submitArguments)
            try await submit.run()
        }
    }

    struct Logs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a node's log; --follow keeps printing what it adds.")

        @OptionGroup var dir: ClusterDirOption

        @Argument var node: String

        @Flag(name: [.short, .long], help: "Keep printing new lines until Ctrl-C.")
        var follow = false

        @Option(help: "Print only the last N lines.")
        var lines: Int?

        func run() async throws {
            try await reportingErrors {
                let control = try dir.control()
                _ = try control.file.node(named: node, in: control.cluster.path)
                let path = control.cluster.logPath(node)
                guard let handle = FileHandle(forReadingAtPath: path) else {
                    throw GridError(.clusterNodeUnknown, "\(node) has no log yet (\(path)); has it been started?")
                }
                let all = handle.readDataToEndOfFile()
                if let lines {
                    Console.out(ClusterProcesses.lastLines(of: String(decoding: all, as: UTF8.self), lines))
                } else {
                    Console.out(all)
                }
                // The log has no event to wait for: look for new lines five times a second.
                while follow && !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(200))
                    let more = handle.readDataToEndOfFile()
                    if !more.isEmpty { Console.out(more) }
                }
            }
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop nodes with SIGTERM (they drain), waiting until they have exited.")

        @OptionGroup var dir: ClusterDirOption

        @Argument(help: "The nodes to stop.")
        var nodes: [String]

        @Option(help: "Seconds to wait for each node before SIGKILL.")
        var timeout = 30.0

        func run() async throws {
            let wait = try seconds(timeout, "--timeout")
            try await reportingErrors {
                var control = try dir.control()
                for node in nodes { print(try await control.stop(node, timeout: wait)) }
            }
        }
    }

    struct Kill: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Kill nodes with SIGKILL, as a crash would.")

        @OptionGroup var dir: ClusterDirOption

        @Argument(help: "The nodes to kill.")
        var nodes: [String]

        func run() async throws {
            try await reportingErrors {
                var control = try dir.control()
                for node in nodes { print(try await control.kill(node)) }
            }
        }
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start stopped nodes again on the same data directory and port; waits until each is connected.")

        @OptionGroup var dir: ClusterDirOption

        @Argument(help: "The nodes to start.")
        var nodes: [String]

        @Option(name: .customLong("wait-timeout"), help: "Seconds to wait for each node to connect.")
        var waitTimeout = 30.0

        func run() async throws {
            let timeout = try seconds(waitTimeout, "--wait-timeout")
            try await reportingErrors {
                var control = try dir.control()
                for node in nodes {
                    try await control.start(node, timeout: timeout)
                    print("\(node) started (pid \(control.file.nodes.first { $0.name == node }?.pid ?? 0))")
                }
            }
        }
    }

    struct Down: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop every node (SIGTERM, then SIGKILL after --timeout); --remove deletes the cluster's directory too.")

        @OptionGroup var dir: ClusterDirOption

        @Flag(help: "Remove the cluster's directory (keys, stores, logs) once every node has stopped.")
        var remove = false

        @Option(help: "Seconds to wait for the nodes to stop before SIGKILL.")
        var timeout = 30.0

        func run() async throws {
            let wait = try seconds(timeout, "--timeout")
            try await reportingErrors {
                var control = try dir.control()
                for line in try await control.stopAll(timeout: wait) { print(line) }
                if remove {
                    do {
                        try FileManager.default.removeItem(atPath: control.cluster.path)
                    } catch {
                        throw GridError(.clusterStart, "cannot remove \(control.cluster.path): \(error.localizedDescription)")
                    }
                    print("removed \(control.cluster.path)")
                } else {
                    print("kept \(control.cluster.path); gridnode cluster start NODE --dir \(control.cluster.path) starts a node again")
                }
            }
        }
    }
}
