import Foundation
import GridCore
import GridNode

/// The node a load run drives: its data directory, the name the report gives it, and what to
/// tell the user when no node runs there.
struct LoadTarget: Equatable {
    var directory: DataDirectory
    var name: String
    /// Ends "no node is running at SOCKET; …".
    var unreachableHint: String

    /// A cluster's directory when `--cluster` is not given: `$GRID_CLUSTER`, else `./grid-cluster`.
    static func clusterDirectory(_ explicit: String?, environment: [String: String]) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let fromEnvironment = environment["GRID_CLUSTER"], !fromEnvironment.isEmpty { return fromEnvironment }
        return "./grid-cluster"
    }
}

extension Load {
    /// `--node NAME` in its cluster, or the plain node of `--data-dir` (or its defaults).
    func target(environment: [String: String]) throws(GridError) -> LoadTarget {
        guard let node else {
            if cluster != nil {
                throw GridError(.invalidArgument, "--cluster goes with --node NAME; for a plain node give --data-dir DIR alone")
            }
            let directory = DataDirectory.resolve(dataDir.path, environment: environment)
            return LoadTarget(
                directory: directory, name: directory.path,
                unreachableHint: "start it with 'gridnode run --data-dir \(directory.path) --skills \(skill)', or give the --data-dir it runs with")
        }
        if dataDir.path != nil {
            throw GridError(.invalidArgument, "give --node NAME (a node of a cluster) or --data-dir DIR (a plain node), not both")
        }
        guard !node.isEmpty, !node.contains("/"), node != ".", node != ".." else {
            throw GridError(.invalidArgument, "--node takes a node's name in its cluster, such as n1; got '\(node)'")
        }
        let root = LoadTarget.clusterDirectory(cluster, environment: environment)
        let files = FileManager.default
        guard files.fileExists(atPath: root + "/cluster.json") else {
            throw GridError(.invalidArgument, "\(root) is not a cluster (no cluster.json); give --cluster DIR or start one with gridnode cluster up")
        }
        var isDirectory: ObjCBool = false
        guard files.fileExists(atPath: root + "/" + node, isDirectory: &isDirectory), isDirectory.boolValue else {
            let names = ((try? files.contentsOfDirectory(atPath: root)) ?? [])
                .filter { files.fileExists(atPath: root + "/" + $0 + "/identity.key") }
                .sorted()
            let known = names.isEmpty ? "it has no nodes yet" : "its nodes are " + names.joined(separator: ", ")
            throw GridError(.invalidArgument, "the cluster at \(root) has no node '\(node)' (no directory \(root)/\(node)); \(known)")
        }
        return LoadTarget(
            directory: DataDirectory(path: root + "/" + node), name: node,
            unreachableHint: "node \(node) of the cluster at \(root) is not running; start it with gridnode cluster up")
    }
}
