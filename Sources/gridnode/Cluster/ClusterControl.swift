import Foundation
import GridClient
import GridCore
import GridCrypto
import GridLocalAPI
import GridNode

#if canImport(Glibc)
import Glibc
#endif

/// What the `gridnode cluster` commands and scenarios do to a cluster: bring it up, start, stop
/// and kill its nodes, set and heal faults. Each step saves `cluster.json` at once, so the next
/// command finds the cluster as this one left it.
struct ClusterControl {
    let cluster: ClusterDirectory
    var file: ClusterFile

    init(_ cluster: ClusterDirectory) throws(GridError) {
        self.cluster = cluster
        file = try cluster.load()
    }

    /// Test settings every cluster node gets in its config.json: a stopped or partitioned peer is
    /// dialled again within 2 s of coming back (an operator's node waits up to 30 s).
    static func testSettings(_ settings: inout NodeSettings) {
        settings.dialBackoffMaxMs = 2_000
    }

    /// Creates the cluster `plan` describes in `cluster` and starts every node; returns once the
    /// mesh has formed. Refuses a directory that is a cluster already and ports in use.
    /// With `netns`, each node gets a network namespace of its own where the machine allows it
    /// (``ClusterNetwork``); where it does not, says why on stderr and runs on loopback.
    static func up(
        _ plan: ClusterPlan, in cluster: ClusterDirectory, allowFaults: Bool, netns: Bool = false, timeout: Duration
    ) async throws(GridError) -> ClusterControl {
        if cluster.exists {
            throw GridError(
                .clusterExists,
                "\(cluster.path) is a cluster already; gridnode cluster status --dir \(cluster.path) shows it, gridnode cluster start NODE … --dir \(cluster.path) starts its stopped nodes, gridnode cluster down --dir \(cluster.path) --remove removes it, or give another --dir")
        }
        var isolated = netns
        if netns, let reason = ClusterNetwork.unavailable() {
            Console.error("--netns: \(reason); running the cluster on loopback instead, with every fault inside the nodes\n")
            isolated = false
        }
        if !isolated { for node in plan.nodes { try ClusterProcesses.checkFree(port: node.port, for: node.name) } }
        try DataDirectory(path: cluster.path).create()
        var nodes: [ClusterFile.Node] = []
        for node in plan.nodes {
            let data = cluster.dataDirectory(node.name)
            let id = try NodeSetup.initialize(data, force: false)
            var settings = try NodeSettings.load(from: data.configPath)
            testSettings(&settings)
            do {
                try settings.json().write(toFile: data.configPath, atomically: true, encoding: .utf8)
            } catch {
                throw GridError(.clusterStart, "cannot write \(data.configPath): \(error.localizedDescription)")
            }
            nodes.append(.init(name: node.name, nodeId: id.hex, port: node.port, skills: node.skills, pid: nil, allowFaults: allowFaults))
        }
        let id = SecureRandom.bytes(4)
        var file = ClusterFile(network: "cluster-" + Hex.encode(id), nodes: nodes)
        if isolated {
            let network = ClusterNetwork(id: id, names: nodes.map(\.name))
            try network.create()
            file.netns = network
        }
        try cluster.writeBootstrap(file)
        try cluster.save(file)
        var control = try ClusterControl(cluster)
        for node in control.file.nodes { try control.launch(node.name) }
        try await control.waitForMesh(timeout: timeout)
        return control
    }

    private mutating func launch(_ name: String) throws(GridError) {
        let node = try file.node(named: name, in: cluster.path)
        let pid = try ClusterProcesses.start(node, of: file, in: cluster)
        file.update(name) { $0.pid = pid }
        try cluster.save(file)
    }

    func isRunning(_ node: ClusterFile.Node) -> Bool {
        ClusterProcesses.isRunning(node.pid, data: cluster.dataDirectory(node.name))
    }

    /// Starts a stopped node again on its data directory and port; returns once it is connected to
    /// every other running node.
    mutating func start(_ name: String, timeout: Duration) async throws(GridError) {
        let node = try file.node(named: name, in: cluster.path)
        guard !isRunning(node) else { throw GridError(.clusterStart, "\(name) is running already (pid \(node.pid ?? 0))") }
        if let netns = file.netns { try netns.create() } else { try ClusterProcesses.checkFree(port: node.port, for: name) }
        try launch(name)
        try await waitForMesh(timeout: timeout, only: [name])
    }

    /// Stops a node with SIGTERM (it drains its work) and waits until it has exited, up to
    /// `timeout`; then SIGKILL. `signalled`: the caller has sent the SIGTERM already. Returns how
    /// it ended.
    mutating func stop(_ name: String, timeout: Duration, signalled: Bool = false) async throws(GridError) -> String {
        let node = try file.node(named: name, in: cluster.path)
        let data = cluster.dataDirectory(name)
        guard signalled || ClusterProcesses.signal(node.pid, SIGTERM, data: data) else {
            file.update(name) { $0.pid = nil }
            try cluster.save(file)
            return "\(name) was not running"
        }
        var how = "\(name) stopped"
        if await !ClusterProcesses.waitForExit(node.pid, data: data, timeout: timeout) {
            ClusterProcesses.signal(node.pid, SIGKILL, data: data)
            _ = await ClusterProcesses.waitForExit(node.pid, data: data, timeout: .seconds(5))
            how = "\(name) did not stop within \(timeout) of SIGTERM; killed it"
        }
        file.update(name) { $0.pid = nil }
        try cluster.save(file)
        return how
    }

    /// Stops every running node at once (SIGTERM to all, then a wait for each).
    mutating func stopAll(timeout: Duration) async throws(GridError) -> [String] {
        let running = Set(file.nodes.filter(isRunning).map(\.name))
        for node in file.nodes where running.contains(node.name) {
            ClusterProcesses.signal(node.pid, SIGTERM, data: cluster.dataDirectory(node.name))
        }
        var lines: [String] = []
        for node in file.nodes { lines.append(try await stop(node.name, timeout: timeout, signalled: running.contains(node.name))) }
        if let netns = file.netns {
            netns.destroy()
            lines.append("removed the network namespaces and bridge \(netns.bridge) (cluster start makes them again)")
        }
        return lines
    }

    /// Kills a node with SIGKILL, as a crash would: no drain, no goodbye.
    mutating func kill(_ name: String) async throws(GridError) -> String {
        let node = try file.node(named: name, in: cluster.path)
        let data = cluster.dataDirectory(name)
        let killed = ClusterProcesses.signal(node.pid, SIGKILL, data: data)
        if killed { _ = await ClusterProcesses.waitForExit(node.pid, data: data, timeout: .seconds(5)) }
        file.update(name) { $0.pid = nil }
        try cluster.save(file)
        return killed ? "\(name) killed (SIGKILL)" : "\(name) was not running"
    }

    /// Waits until each of `only` (every node when empty) that runs answers on its socket and sees
    /// every other running node as an alive peer.
    func waitForMesh(timeout: Duration, only: [String] = []) async throws(GridError) {
        let deadline = ContinuousClock.now + timeout
        while true {
            let running = file.nodes.filter(isRunning)
            let watched = only.isEmpty ? file.nodes : file.nodes.filter { only.contains($0.name) }
            if let dead = watched.first(where: { !isRunning($0) }) {
                throw GridError(
                    .clusterStart,
                    "\(dead.name) exited while starting; the end of \(cluster.logPath(dead.name)):\n\(ClusterProcesses.tail(cluster.logPath(dead.name), lines: 8))")
            }
            var statuses: [ClusterNodeStatus] = []
            for node in watched { statuses.append(await ClusterNodeStatus.read(node, of: file, in: cluster)) }
            if statuses.allSatisfy({ $0.state == "running" && ($0.peers ?? 0) >= running.count - 1 }) { return }
            guard ContinuousClock.now < deadline else {
                let lagging = statuses.filter { $0.state != "running" || ($0.peers ?? 0) < running.count - 1 }
                    .map { "\($0.name) \($0.state) with \($0.peers ?? 0) of \(running.count - 1) peers" }
                throw GridError(
                    .clusterStart,
                    "the mesh did not form within \(timeout): \(lagging.joined(separator: "; ")); see gridnode cluster logs NAME --dir \(cluster.path)")
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    func status() async -> [ClusterNodeStatus] {
        var rows: [ClusterNodeStatus] = []
        for node in file.nodes { rows.append(await ClusterNodeStatus.read(node, of: file, in: cluster)) }
        return rows
    }

    /// Changes the fault plan of a running node: reads it, applies `change`, sets it.
    func changeFaults(_ name: String, _ change: (inout FaultPlan) -> Void) async throws -> FaultPlan {
        let node = try file.node(named: name, in: cluster.path)
        guard isRunning(node) else {
            throw GridError(.clusterNodeStopped, "\(name) is not running; start it with gridnode cluster start \(name) --dir \(cluster.path)")
        }
        return try await GridClient.withConnection(socketPath: cluster.dataDirectory(name).socketPath) { connection in
            var plan: FaultPlan = try await connection.call(.faultsGet, NoResult?.none)
            change(&plan)
            return try await connection.call(.faultsSet, plan)
        }
    }

    /// Partitions `left` from `right` (from every other node when `right` is empty), both ways.
    func partition(_ left: [String], from right: [String]) async throws -> [String] {
        let leftNodes = try file.nodes(named: left, in: cluster.path)
        let rightNodes = right.isEmpty ? file.nodes.filter { !left.contains($0.name) } : try file.nodes(named: right, in: cluster.path)
        if let overlap = leftNodes.first(where: { node in rightNodes.contains { $0.name == node.name } }) {
            throw GridError(.clusterPlan, "\(overlap.name) is on both sides of the partition; give two separate sets of nodes")
        }
        if let netns = file.netns {
            // A real cut: each side's packets to the other are dropped by a route, and the nodes
            // find out as on a real network, when their pings go unanswered.
            for left in leftNodes {
                for right in rightNodes {
                    try netns.cut(left.name, from: right.name)
                    try netns.cut(right.name, from: left.name)
                }
            }
            return ["cut the links between \(leftNodes.map(\.name).joined(separator: ",")) and \(rightNodes.map(\.name).joined(separator: ",")) (blackhole routes)"]
        }
        for node in leftNodes { _ = try await changeFaults(node.name) { $0.partitionedFrom.formUnion(rightNodes.map(\.nodeId)) } }
        for node in rightNodes { _ = try await changeFaults(node.name) { $0.partitionedFrom.formUnion(leftNodes.map(\.nodeId)) } }
        return ["partitioned \(leftNodes.map(\.name).joined(separator: ",")) from \(rightNodes.map(\.name).joined(separator: ","))"]
    }

    /// Clears every fault of `names` (of every running node when empty).
    func heal(_ names: [String]) async throws -> [String] {
        let nodes = names.isEmpty ? file.nodes.filter(isRunning) : try file.nodes(named: names, in: cluster.path)
        for node in nodes {
            file.netns?.mend(node.name)
            if node.allowFaults { _ = try await changeFaults(node.name) { $0 = .none } }
        }
        return ["healed \(nodes.map(\.name).joined(separator: ","))"]
    }
}
