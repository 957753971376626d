#if canImport(Glibc)
import Glibc
#endif
import Foundation
import GridCore
import GridNode

/// A cluster's directory: `cluster.json`, `bootstrap-peers.json`, and one data directory per node
/// (`<dir>/<name>`, with the node's log in `<dir>/<name>/node.log`).
struct ClusterDirectory {
    let path: String

    /// `explicit`, else `$GRID_CLUSTER`, else `./grid-cluster`, made absolute.
    static func resolve(_ explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> ClusterDirectory {
        let fromEnvironment = environment["GRID_CLUSTER"].flatMap { $0.isEmpty ? nil : $0 }
        let given = explicit.flatMap { $0.isEmpty ? nil : $0 } ?? fromEnvironment ?? "grid-cluster"
        let absolute = given.hasPrefix("/") ? given : FileManager.default.currentDirectoryPath + "/" + given
        return ClusterDirectory(path: URL(fileURLWithPath: absolute).standardizedFileURL.path)
    }

    var filePath: String { path + "/" + ClusterFile.fileName }
    var bootstrapPath: String { path + "/" + ClusterFile.bootstrapFileName }
    func dataDirectory(_ node: String) -> DataDirectory { DataDirectory(path: path + "/" + node) }
    func logPath(_ node: String) -> String { path + "/" + node + "/node.log" }

    var exists: Bool { FileManager.default.fileExists(atPath: filePath) }

    func load() throws(GridError) -> ClusterFile {
        guard let data = FileManager.default.contents(atPath: filePath) else {
            throw GridError(
                .notACluster,
                "\(path) is not a cluster (no \(ClusterFile.fileName)); give --dir DIR of a cluster, or start one with gridnode cluster up --nodes 3 --dir \(path)")
        }
        do {
            let file = try JSONDecoder().decode(ClusterFile.self, from: data)
            guard file.version == ClusterFile.currentVersion else {
                throw GridError(.notACluster, "\(filePath) is version \(file.version); this gridnode reads version \(ClusterFile.currentVersion)")
            }
            return file
        } catch let error as GridError {
            throw error
        } catch {
            throw GridError(.notACluster, "\(filePath) is damaged (\(error)); remove the directory and run gridnode cluster up again")
        }
    }

    func save(_ file: ClusterFile) throws(GridError) {
        do {
            try prettyJSON(file).write(to: URL(fileURLWithPath: filePath), options: .atomic)
        } catch {
            throw GridError(.clusterStart, "cannot write \(filePath): \(error.localizedDescription)")
        }
    }

    /// Writes the bootstrap file every node dials: each node's address, pinned to its key.
    func writeBootstrap(_ file: ClusterFile) throws(GridError) {
        struct Entry: Encodable { var name: String, address: String, port: Int, publicKey: String }
        struct Peers: Encodable { var peers: [Entry] }
        let peers = Peers(peers: file.nodes.map { Entry(name: $0.name, address: file.address(of: $0.name), port: $0.port, publicKey: $0.nodeId) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try encoder.encode(peers).write(to: URL(fileURLWithPath: bootstrapPath), options: .atomic)
        } catch {
            throw GridError(.clusterStart, "cannot write \(bootstrapPath): \(error.localizedDescription)")
        }
    }
}
