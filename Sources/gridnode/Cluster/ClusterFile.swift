import Foundation
import GridCore

/// `cluster.json`, the file that makes a directory a cluster: which nodes it has, where they
/// listen and what they serve, and the process each one runs as. Every `gridnode cluster` command
/// finds its cluster again through it; nodes' data directories are `<dir>/<name>`.
struct ClusterFile: Codable, Equatable {
    static let fileName = "cluster.json"
    static let bootstrapFileName = "bootstrap-peers.json"
    static let currentVersion = 1

    struct Node: Codable, Equatable {
        var name: String
        var nodeId: String
        var port: Int
        var skills: [String]
        /// The process running the node when a cluster command last started it; nil when stopped.
        var pid: Int32?
        /// Started with `--allow-faults` (every node unless `cluster up --without-faults`).
        var allowFaults: Bool
    }

    var version = Self.currentVersion
    /// The network ID the nodes share: unique per cluster, so two clusters never join each other.
    var network: String
    var nodes: [Node]
    /// With `cluster up --netns`: the namespaces, bridge and addresses; nil on loopback.
    var netns: ClusterNetwork?

    /// Where `node` listens: its namespace's address, or loopback.
    func address(of node: String) -> String { netns?.addresses[node] ?? "127.0.0.1" }

    func node(named name: String, in directory: String) throws(GridError) -> Node {
        guard let node = nodes.first(where: { $0.name == name }) else {
            throw GridError(
                .clusterNodeUnknown,
                "no node named '\(name)' in the cluster at \(directory); its nodes are \(nodes.map(\.name).joined(separator: ", "))")
        }
        return node
    }

    /// The nodes `names` lists, all of them when it is empty; an unknown name is refused.
    func nodes(named names: [String], in directory: String) throws(GridError) -> [Node] {
        guard !names.isEmpty else { return nodes }
        var chosen: [Node] = []
        for name in names { chosen.append(try node(named: name, in: directory)) }
        return chosen
    }

    mutating func update(_ name: String, _ change: (inout Node) -> Void) {
        if let index = nodes.firstIndex(where: { $0.name == name }) { change(&nodes[index]) }
    }
}

extension GridError.Code {
    static let notACluster = Self("cluster.not_a_cluster")
    static let clusterExists = Self("cluster.exists")
    static let clusterNodeUnknown = Self("cluster.unknown_node")
    static let clusterNodeStopped = Self("cluster.node_stopped")
    static let clusterPortInUse = Self("cluster.port_in_use")
    static let clusterStart = Self("cluster.start_failed")
    static let clusterPlan = Self("cluster.invalid")
    static let scenario = Self("cluster.scenario")
}
