import GridClient
import GridCore
import GridCrypto
import GridLocalAPI
import GridNode
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// What to start for one node of a test cluster.
public struct TestNodeSpec: Sendable {
    public var skills: [String]
    /// Indices of earlier nodes this one bootstraps from; nil means every earlier node.
    public var bootstrapFrom: [Int]?
    /// Changes to the test defaults (port 0, short backoff).
    public var configure: @Sendable (inout NodeSettings) -> Void
    /// Skill implementations of the test's own (faults on demand: a skill that lies, or waits).
    public var customSkills: [SkillID: any Skill]

    public init(
        skills: [String], bootstrapFrom: [Int]? = nil, customSkills: [SkillID: any Skill] = [:],
        configure: @escaping @Sendable (inout NodeSettings) -> Void = { _ in }
    ) {
        self.skills = skills
        self.bootstrapFrom = bootstrapFrom
        self.customSkills = customSkills
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
    public func withClient<R: Sendable>(_ body: (GridConnection) async throws -> R) async throws -> R {
        try await GridClient.withConnection(socketPath: socketPath, body)
    }
}

/// Nodes started in this process on real loopback TCP and real Unix sockets.
public final class TestCluster: Sendable {
    public let logs: LogCapture
    private let root: String
    /// `runs[i]` runs `nodes[i]`.
    private let state: NIOLockedValueBox<(nodes: [TestNode], runs: [Task<Void, any Error>])>

    init(root: String, logs: LogCapture) {
        self.root = root
        self.logs = logs
        state = NIOLockedValueBox(([], []))
    }

    public var nodes: [TestNode] { state.withLockedValue { $0.nodes } }

    public subscript(index: Int) -> TestNode { nodes[index] }

    /// Starts node `index` (a new one, or again on the data directory and identity it had).
    @discardableResult
    func start(
        _ index: Int, skills: [String], identity: SigningIdentity, bootstrap: [BootstrapPeer], customSkills: [SkillID: any Skill] = [:],
        configure: @Sendable (inout NodeSettings) -> Void
    ) async throws -> TestNode {
        var settings = NodeSettings()
        settings.listen = HostPort(host: "127.0.0.1", port: 0)
        settings.skills = skills
        settings.dialBackoffBaseMs = 20
        settings.dialBackoffMaxMs = 200
        settings.handshakeTimeoutMs = 2_000
        // Deterministic: no sampled verification and no exploration; a test that wants them sets
        // spotCheckFraction (1: every result), verifyProbation and explorationShare.
        settings.spotCheckFraction = 0
        settings.verifyProbation = 0
        settings.explorationShare = 0
        configure(&settings)
        let node = GridNode(
            dataDirectory: DataDirectory(path: "\(root)/n\(index)"), settings: settings, identity: identity,
            bootstrap: bootstrap, logger: logs.logger(label: "node\(index)"), skills: customSkills)
        let group = ServiceGroup(services: [node], logger: logs.logger(label: "group\(index)", level: .warning))
        let run = Task { try await group.run() }
        let started = TestNode(node: node, address: try await node.listeningAddress(), group: group)
        state.withLockedValue { state in
            if index < state.nodes.count {
                state.nodes[index] = started
                state.runs[index] = run
            } else {
                state.nodes.append(started)
                state.runs.append(run)
            }
        }
        return started
    }

    /// Stops node `index` (abruptly, as a crash would) and starts it again with the same identity
    /// and data directory, dialling only `bootstrapFrom` (by default nothing: its address book).
    @discardableResult
    public func restart(_ index: Int, bootstrapFrom: [Int] = []) async throws -> TestNode {
        let old = nodes[index]
        await stop(index)
        let bootstrap = bootstrapFrom.map { BootstrapPeer(name: "node\($0)", address: nodes[$0].address) }
        let settings = old.node.settings
        return try await start(
            index, skills: settings.skills, identity: old.node.identity, bootstrap: bootstrap, customSkills: old.node.customSkills,
            configure: { $0 = settings })
    }

    /// Starts one more node, as `spec` says, dialling `bootstrap` (addresses given by the test: a
    /// ``FaultProxy`` in front of a node, say) besides the nodes `spec.bootstrapFrom` names.
    @discardableResult
    public func add(_ spec: TestNodeSpec, dialling bootstrap: [HostPort] = []) async throws -> TestNode {
        let index = nodes.count
        let peers = (spec.bootstrapFrom ?? []).map { BootstrapPeer(name: "node\($0)", address: nodes[$0].address) }
            + bootstrap.enumerated().map { BootstrapPeer(name: "given\($0.offset)", address: $0.element) }
        return try await start(
            index, skills: spec.skills, identity: SigningIdentity(), bootstrap: peers, customSkills: spec.customSkills, configure: spec.configure)
    }

    /// Stops node `index` abruptly (no goodbye), as a crash or kill would.
    public func stop(_ index: Int) async {
        let run = state.withLockedValue { $0.runs[index] }
        run.cancel()
        _ = await run.result
    }

    func stopAll() async {
        let runs = state.withLockedValue { $0.runs }
        for run in runs { run.cancel() }
        for run in runs { _ = await run.result }
    }

    /// Waits until every node sees every other node with the skills it announced.
    public func waitUntilMeshed(timeout: Duration = .seconds(10)) async throws {
        let nodes = nodes
        for node in nodes {
            let expected = Dictionary(uniqueKeysWithValues: nodes.filter { $0.nodeID != node.nodeID }.map {
                ($0.nodeID.hex, Set($0.node.settings.skills + $0.node.settings.skillCommands.keys + $0.node.customSkills.keys.map(\.name)).sorted())
            })
            try await poll(timeout: timeout, "\(node.nodeID.short) to see all \(expected.count) peers and their skills") {
                let peers = try await node.withClient { try await $0.peers() }.connected
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
    let cluster = TestCluster(root: root.path, logs: logs)
    defer { root.remove() }
    do {
        for (index, spec) in specs.enumerated() {
            let sources = spec.bootstrapFrom ?? Array(0..<index)
            let bootstrap = sources.map { BootstrapPeer(name: "node\($0)", address: cluster[$0].address) }
            try await cluster.start(
                index, skills: spec.skills, identity: SigningIdentity(), bootstrap: bootstrap, customSkills: spec.customSkills,
                configure: spec.configure)
        }
        let result = try await body(cluster)
        await cluster.stopAll()
        return result
    } catch {
        await cluster.stopAll()
        print("---- cluster logs (test failed: \(error)) ----\n\(logs.text)\n---- end of cluster logs ----")
        throw error
    }
}
