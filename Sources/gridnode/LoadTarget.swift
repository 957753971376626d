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
        let cluster = ClusterDirectory.resolve(self.cluster, environment: environment)
        let member = try cluster.load().node(named: node, in: cluster.path)
        return LoadTarget(
            directory: cluster.dataDirectory(member.name), name: node,
            unreachableHint: "node \(node) of the cluster at \(cluster.path) is not running; start it with gridnode cluster start \(node) --dir \(cluster.path)")
    }
}
