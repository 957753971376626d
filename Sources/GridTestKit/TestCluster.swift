import GridClient
import GridCore
import GridCrypto
import GridLocalAPI
import GridNode
import Logging
import ServiceLifecycle

/// What to start for one node of a test cluster.
public struct TestNodeSpec: Sendable {
    public var skills: [String]
    /// Indices of earlier nodes this one bootstraps from; nil means every earlier node.
    public var bootstrapFrom: [Int]?
    /// Changes to the test defaults (port 0, short backoff).
    public var configure: @Sendable (inout NodeSettings) -> Void

    public init(skills: [String], bootstrapFrom: [Int]? = nil, configure: @escaping @Sendable (inout NodeSettings) -> Void = { _ in }) {
        self.skills = skills
        self.bootstrapFrom = bootstrapFrom
        self.configure = configure
    }
}

/// One running node of a test cluster.
public struct TestNode: Sendable {
    public let node: GridNode
    public let address: HostPort
    let group: ServiceGroup
    public var nodeID: NodeID { node.nodeID }
    public var socketPath: String { node.dataDirectory.socketPath }
    public var dataDirectory: DataDirectory { node.dataDirectory }

    /// Stops the node as a signal would: it says goodbye to its peers first.
    public func stopGracefully() async {
        await group.triggerGracefulShutdown()
    }

    /// Runs `body` with a local API connection to this node, over its real Unix socket.
    public func withClient<R>(_ body: (GridConnection) async throws -> R) async throws -> R {
        try await GridClient.withConnection(socketPath: socketPath, body)
    }
}

/// Nodes started in this process on real loopback TCP and real Unix sockets.
public final class TestCluster: Sendable {
    public let nodes: [TestNode]
    public let logs: LogCapture

    init(nodes: [TestNode], logs: LogCapture) {
        self.nodes = nodes
        self.logs = logs
    }

    public subscript(index: Int) -> TestNode { nodes[index] }

    /// Waits until every node sees every other node with the skills it announced.
    public func waitUntilMeshed(timeout: Duration = .seconds(10)) async throws {
        for node in nodes {
            let expected = Dictionary(uniqueKeysWithValues: nodes.filter { $0.nodeID != node.nodeID }.map {
                ($0.nodeID.hex, $0.node.settings.skills.sorted())
            })
            try await poll(timeout: timeout, "\(node.nodeID.short) to see all \(expected.count) peers and their skills") {
                let peers = try await node.withClient { try await $0.peers() }
                let seen = Dictionary(peers.map { ($0.nodeId, $0.skills) }, uniquingKeysWith: { a, _ in a })
                return seen == expected
            }
        }
    }
}

/// Starts `specs` as a cluster (node i dials the nodes it bootstraps from), runs `body`, and always
/// stops every node and deletes its files. The nodes' logs are printed only if `body` throws.
public func withTestCluster<R>(
    _ specs: [TestNodeSpec], _ body: (TestCluster) async throws -> R
) async throws -> R {
    let root = try TemporaryDirectory(prefix: "gridc")
    let logs = LogCapture()
    var started: [TestNode] = []
    var runs: [Task<Void, any Error>] = []
    defer { root.remove() }
    do {
        for (index, spec) in specs.enumerated() {
            var settings = NodeSettings()
            settings.listen = HostPort(host: "127.0.0.1", port: 0)
            settings.skills = spec.skills
            settings.dialBackoffBaseMs = 20
            settings.dialBackoffMaxMs = 200
            settings.handshakeTimeoutMs = 2_000
            spec.configure(&settings)
            let sources = spec.bootstrapFrom ?? Array(0..<index)
            let bootstrap = sources.map { BootstrapPeer(name: "node\($0)", address: started[$0].address) }
            let node = GridNode(
                dataDirectory: DataDirectory(path: "\(root.path)/n\(index)"), settings: settings, identity: SigningIdentity(),
                bootstrap: bootstrap, logger: logs.logger(label: "node\(index)"))
            let group = ServiceGroup(services: [node], logger: logs.logger(label: "group\(index)", level: .warning))
            runs.append(Task { try await group.run() })
            started.append(TestNode(node: node, address: try await node.listeningAddress(), group: group))
        }
        let result = try await body(TestCluster(nodes: started, logs: logs))
        await stop(runs)
        return result
    } catch {
        await stop(runs)
        print("---- cluster logs (test failed: \(error)) ----\n\(logs.text)\n---- end of cluster logs ----")
        throw error
    }
}

private func stop(_ runs: [Task<Void, any Error>]) async {
    for run in runs { run.cancel() }
    for run in runs { _ = await run.result }
}
