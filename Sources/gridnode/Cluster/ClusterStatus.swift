import Foundation
import GridClient
import GridCore
import GridLocalAPI

/// One row of `gridnode cluster status`: what the node's process and its local API say now.
struct ClusterNodeStatus: Codable, Equatable {
    var name: String
    var nodeId: String
    var port: Int
    /// Where it listens: `127.0.0.1`, or its namespace's address with `--netns`.
    var address: String
    var skills: [String]
    /// `running` (answering), `starting` (process up, socket not answering yet) or `stopped`.
    var state: String
    var pid: Int32?
    /// Peers connected and alive.
    var peers: Int?
    /// This node's tasks held by peers now, and tasks waiting in its queue.
    var inFlight: Int?
    var queued: Int?
    var submitted: UInt64?
    var completed: UInt64?
    var failed: UInt64?
    var successRate: Double?
    /// The faults it injects (``FaultPlan/summary``), or `-`; `not allowed` without --allow-faults.
    var faults: String?
    var faultPlan: FaultPlan?

    /// Asks the node over its local API; a node that does not answer is `starting` or `stopped`.
    static func read(_ node: ClusterFile.Node, of file: ClusterFile, in cluster: ClusterDirectory) async -> ClusterNodeStatus {
        let data = cluster.dataDirectory(node.name)
        var status = ClusterNodeStatus(
            name: node.name, nodeId: node.nodeId, port: node.port, address: file.address(of: node.name), skills: node.skills, state: "stopped",
            pid: node.pid)
        guard ClusterProcesses.isRunning(node.pid, data: data) else {
            status.pid = nil
            return status
        }
        status.state = "starting"
        do {
            let (info, peers, metrics) = try await GridClient.withConnection(socketPath: data.socketPath) { connection in
                (try await connection.info(), try await connection.peers(), try await connection.metrics())
            }
            status.state = "running"
            status.skills = info.skills
            status.peers = peers.filter { $0.state == "alive" }.count
            status.inFlight = metrics.inFlight.map(\.tasks).reduce(0, +) + (metrics.otherInFlight ?? 0)
            let depth = metrics.queueDepth
            status.queued = depth.low + depth.normal + depth.high + depth.critical
            status.submitted = metrics.tasks.submitted
            status.completed = metrics.tasks.completed
            status.failed = metrics.tasks.failed
            status.successRate = metrics.successRate
            status.faultPlan = info.faults
            status.faults = info.faultsAllowed == true ? (info.faults?.summary ?? "-") : "not allowed"
        } catch {}
        if let cuts = file.netns?.cuts(node.name), cuts > 0 {
            status.faults = (status.faults ?? "-") == "-" ? "cut(\(cuts))" : "\(status.faults ?? "") cut(\(cuts))"
        }
        return status
    }

    static func table(_ rows: [ClusterNodeStatus]) -> String {
        var cells = [["NAME", "NODE ID", "ADDRESS", "STATE", "PEERS", "IN FLIGHT", "QUEUED", "DONE", "FAILED", "SUCCESS", "SKILLS", "FAULTS"]]
        func count<T>(_ value: T?) -> String { value.map { "\($0)" } ?? "-" }
        for row in rows {
            cells.append([
                row.name, String(row.nodeId.prefix(16)), "\(row.address):\(row.port)", row.state, count(row.peers), count(row.inFlight), count(row.queued),
                count(row.completed), count(row.failed), row.successRate.map { String(format: "%.1f%%", $0 * 100) } ?? "-",
                row.skills.isEmpty ? "-" : row.skills.joined(separator: ","), row.faults ?? "-",
            ])
        }
        return TextTable.render(cells)
    }
}
