#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GridCore
import GridCrypto
import GridStore
import GridWire
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle

/// A running grid node: TCP listener for peers, dialers for the bootstrap peers, the local API
/// socket, and the coordinator behind them. Stops on graceful shutdown or cancellation, removing
/// its socket.
public final class GridNode: Service, Sendable {
    public let dataDirectory: DataDirectory
    public let settings: NodeSettings
    public let identity: SigningIdentity
    public let bootstrap: [BootstrapPeer]
    let logger: Logger
    /// Skills given in code, served besides (or instead of) the built-in ones named in settings.
    public let customSkills: [SkillID: any Skill]
    /// Whether to begin an empty task store when the one in the data directory is missing, empty
    /// or damaged (`gridnode run --new-store`); what was there is moved aside, never deleted.
    public let newStore: Bool
    private let ready = ReadySignal<HostPort>()
    private let metricsBound = NIOLockedValueBox<HostPort?>(nil)
    private let runningContext = NIOLockedValueBox<NodeContext?>(nil)

    /// What the running node shares (nil before it starts and after it stops): for tests that
    /// reach into a node, such as calling ``EvidenceGossip/share(_:)`` directly.
    var context: NodeContext? { runningContext.withLockedValue { $0 } }

    /// Where the Prometheus endpoint listens (with the real port when 0 was asked), once bound.
    public var metricsAddress: HostPort? { metricsBound.withLockedValue { $0 } }

    /// - Parameters:
    ///   - skills: skill implementations an embedding application serves, in addition to the
    ///     built-in skills in `settings.skills`; one with a built-in's name replaces it.
    ///   - newStore: begin an empty task store if the data directory's is missing, empty or
    ///     damaged, instead of refusing to start (see ``StoreStartup``).
    public init(
        dataDirectory: DataDirectory, settings: NodeSettings, identity: SigningIdentity, bootstrap: [BootstrapPeer], logger: Logger,
        skills: [SkillID: any Skill] = [:], newStore: Bool = false
    ) {
        self.customSkills = skills
        self.newStore = newStore
        self.dataDirectory = dataDirectory
        self.settings = settings
        self.identity = identity
        self.bootstrap = bootstrap
        var logger = logger
        logger[metadataKey: "node"] = "\(identity.nodeID.short)"
        self.logger = logger
    }

    public var nodeID: NodeID { identity.nodeID }

    /// The TCP address peers can reach, once the node listens (with the real port when 0 was asked).
    public func listeningAddress() async throws -> HostPort {
        try await ready.wait()
    }

    /// The bootstrap entries, then the most recently seen peers of the address book (pinned to the
    /// keys they proved), up to `targetOutboundConnections`; banned peers never.
    private func dialTargets(_ book: [KnownPeer]) -> [BootstrapPeer] {
        // Peers that answered recently and have not been failing first.
        let known = book.sorted {
            ($0.consecutiveFailures, -$0.lastSeenMs) < ($1.consecutiveFailures, -$1.lastSeenMs)
        }
        let banned = Set(known.filter(\.isBanned).map(\.nodeId))
        var targets = bootstrap.filter { $0.publicKey.map { !banned.contains($0.hex) } ?? true }
        let bootstrapAddresses = Set(bootstrap.map(\.address.description))
        let fromBook = known.lazy.filter { !$0.isBanned }.compactMap { peer -> BootstrapPeer? in
            guard let id = try? NodeID(hex: peer.nodeId),
                let address = peer.addressList.lazy.compactMap({ try? HostPort(parsing: $0) }).first(where: { !$0.isUnspecified && $0.port > 0 }),
                !bootstrapAddresses.contains(address.description)
            else { return nil }
            return BootstrapPeer(name: "known \(id.short)", address: address, publicKey: id, pinnedBy: peer.pinned ? .operatorAdded : .addressBook)
        }
        targets += fromBook.prefix(settings.targetOutboundConnections)
        if !fromBook.isEmpty {
            logger.info("address book: dialling \(min(fromBook.count, settings.targetOutboundConnections)) known peers")
        }
        return targets
    }

    /// Asks every connected peer for the peers it knows, every `peerExchangeIntervalMs`.
    private func exchangePeers(_ node: NodeContext) async {
        let request = Grid_V1_Frame.with { $0.peerExchangeRequest = .with { $0.maxRecords = UInt32(FrameDispatcher.maxExchangeRecords) } }
        while (try? await Task.sleep(for: .milliseconds(settings.peerExchangeIntervalMs))) != nil {
            for session in await node.peers.allSessions {
                try? await session.send(request)
            }
        }
    }

    /// Most time spent telling peers goodbye on shutdown.
    static let goodbyeTimeout: Duration = .seconds(1)

    public func run() async throws {
        do {
            try await serve()
        } catch is CancellationError, is ShutdownRequested {
            // Shutdown was asked for (signal, or the caller cancelled): a normal stop.
            ready.fail(CancellationError())
        } catch {
            ready.fail(error)
            throw error
        }
        logger.info("node stopped")
    }

    /// Sends Goodbye on every connection, so peers drop this node at once instead of after a
    /// timeout; gives up after ``goodbyeTimeout``.
    private func sayGoodbye(_ peers: PeerManager) async {
        let sessions = await peers.allSessions
        let goodbye = Grid_V1_Frame.with {
            $0.goodbye = .with {
                $0.reason = .shutdown
                $0.message = "node is shutting down"
            }
        }
        // Whichever ends first: every Goodbye sent, or the timeout.
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withTaskGroup(of: Void.self) { sends in
                    for session in sessions {
                        sends.addTask { try? await session.send(goodbye) }
                    }
                }
            }
            group.addTask { try? await Task.sleep(for: Self.goodbyeTimeout) }
            await group.next()
            group.cancelAll()
        }
        logger.info("said goodbye to \(sessions.count) peers")
    }

    private func serve() async throws {
        try settings.validate()
        try dataDirectory.create()
        // Refuses a missing, emptied or damaged store rather than lose the accepted tasks silently.
        // The store's work at start — opening (refusing a missing, emptied or damaged store rather
        // than lose the accepted tasks silently), pinning the bootstrap keys, and reading the address
        // book, what the node learnt of its peers and the unfinished tasks — runs off the
        // cooperative pool, like every store call after it.
        let start = try await GridDatabase.offPool { [self] in try self.readStoreAtStart() }
        let database = start.database
        // Pre-trusted: the keys the operator pinned (bootstrap entries with a key, `peers add` with
        // a node ID, kept as pinned in the address book) and the `trustedPeers` setting.
        let pinned = start.book.filter(\.pinned).compactMap { try? NodeID(hex: $0.nodeId) }
        // Command skills (skillCommands) are served like skills given in code; code's win a clash.
        let served = settings.commandSkills(workBase: dataDirectory.workPath).merging(customSkills) { _, custom in custom }
        let node = NodeContext(
            identity: identity, settings: settings, database: database, logger: logger, customSkills: served,
            preTrusted: Set(bootstrap.compactMap(\.publicKey) + pinned), saved: start.reputation)
        // The journal's last batch is committed when the node ends, however it ends.
        defer { node.journal.close() }
        runningContext.withLockedValue { $0 = node }
        defer { runningContext.withLockedValue { $0 = nil } }
        let coordinator = DelegationCoordinator(node: node)
        let taskServer = TaskServer(node: node)

        let listener = try await PeerTransport.listen(on: settings.listen, maxFrameBytes: settings.maxFrameBytes, faults: node.faults)
        let port = listener.channel.localAddress?.port ?? settings.listen.port
        let listening = HostPort(host: settings.listen.host, port: port)
        let socket = try await LocalAPIServer.bind(at: dataDirectory.socketPath)
        defer { unlink(dataDirectory.socketPath) }

        let connection = PeerConnection(node: node, coordinator: coordinator, taskServer: taskServer, advertisedAddress: listening.description)
        let api = LocalAPIHandler(node: node, coordinator: coordinator, listenAddress: listening.description, bootstrap: bootstrap)
        let metricsChannel: Channel?
        if let address = settings.metricsListen {
            do {
                let channel = try await MetricsServer.bind(address, tasks: node.tasks) { await coordinator.metricsSnapshot() }
                metricsChannel = channel
                metricsBound.withLockedValue { $0 = HostPort(host: address.host, port: channel.localAddress?.port ?? address.port) }
            } catch {
                throw GridError(.invalidSetting, "cannot serve metrics on \(address) (metricsListen): \(error); pick a free port")
            }
            logger.info("Prometheus metrics at http://\(metricsAddress ?? address)/metrics")
        } else {
            metricsChannel = nil
        }
        defer { metricsChannel?.close(promise: nil) }
        logger.info("node \(identity.nodeID) listening on \(listening), local API at \(dataDirectory.socketPath), skills \(node.localSkills.map(\.name).sorted())")
        if bootstrap.isEmpty, start.book.isEmpty {
            logger.notice("no bootstrap peers and an empty address book: running alone until a peer connects")
        }
        // Tasks accepted before the last stop are claimed before any client can ask about them,
        // and resumed once the node runs (their peers may still have to reconnect).
        let recovery = await coordinator.beginRecovery(start.unfinished)
        ready.succeed(listening)

        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await coordinator.resume(recovery) }
            group.addTask {
                // A signal: drain, tell every peer goodbye, then end the group (and with it every task).
                try await gracefulShutdown()
                await Self.drain(node, coordinator: coordinator, taskServer: taskServer, logger: self.logger)
                await self.sayGoodbye(node.peers)
                throw ShutdownRequested()
            }
            group.addTask {
                try await listener.executeThenClose { inbound in
                    try await withThrowingDiscardingTaskGroup { connections in
                        for try await accepted in inbound {
                            if node.faults.refusesConnections {  // a test grid's fault
                                accepted.close(promise: nil)
                                continue
                            }
                            connections.addTask {
                                guard let channel = try? await PeerTransport.accept(accepted) else {
                                    accepted.close(promise: nil)
                                    await node.stats.refused(.abandoned)  // gone before it could be read
                                    return
                                }
                                _ = await connection.run(channel, direction: .inbound, expectedPeer: nil)
                            }
                        }
                    }
                }
            }
            group.addTask {
                try await socket.executeThenClose { inbound in
                    let open = NIOLockedValueBox(0)  // local API connections open now
                    try await withThrowingDiscardingTaskGroup { clients in
                        for try await accepted in inbound {
                            let admitted = open.withLockedValue { count in
                                guard count < node.settings.maxLocalConnections else { return false }
                                count += 1
                                return true
                            }
                            guard admitted else {
                                await LocalAPIServer.refuse(accepted, openConnections: node.settings.maxLocalConnections, stats: node.stats, logger: self.logger)
                                continue
                            }
                            clients.addTask {
                                defer { open.withLockedValue { $0 -= 1 } }
                                guard let client = try? await LocalAPIServer.accept(accepted) else {
                                    accepted.close(promise: nil)
                                    return
                                }
                                await LocalAPIServer.serve(client, handler: api, logger: self.logger)
                            }
                        }
                    }
                }
            }
            group.addTask {
                // Dials asked for by discovery, one attempt each; they stop with the node.
                await withDiscardingTaskGroup { dials in
                    for await request in node.discovery.dialRequests {
                        let target = request.target
                        let dialer = PeerDialer(entry: target, node: node, connection: connection)
                        if request.persistent {
                            self.logger.info("dialling \(target.address) as the operator asked")
                            dials.addTask { await dialer.run() }
                            continue
                        }
                        self.logger.info("dialling \(target.name ?? "a peer") at \(target.address), learned from peer exchange")
                        dials.addTask {
                            await dialer.dialOnce()
                            if let key = target.publicKey { await node.discovery.dialFinished(key) }
                        }
                    }
                }
            }
            group.addTask { await self.exchangePeers(node) }
            group.addTask { await RoutingChores.announceSkills(node) }
            group.addTask { await RoutingChores.announceChanges(node) }
            group.addTask {
                // A local slot freed: the node's own waiting work may take it.
                for await _ in node.executor.slotsFreed { await coordinator.capacityMayHaveFreed() }
            }
            group.addTask { await node.tasks.run() }
            group.addTask { await RoutingChores.shareTrust(node) }
            group.addTask { await RoutingChores.keepReputation(node, coordinator: coordinator) }
            group.addTask {
                await MetricsSnapshotWriter.run(
                    path: self.dataDirectory.metricsPath, intervalMs: self.settings.metricsSnapshotIntervalMs,
                    snapshot: { await coordinator.metricsSnapshot() }, logger: self.logger)
            }
            for entry in dialTargets(start.book) {
                group.addTask { await PeerDialer(entry: entry, node: node, connection: connection).run() }
            }
        }
    }
}

/// Thrown inside the node when a signal asked it to stop; ``GridNode/run()`` returns normally.
struct ShutdownRequested: Error {}

/// What a starting node reads from its store, before it serves.
struct StoreAtStart: Sendable {
    var database: GridDatabase
    var book: [KnownPeer]
    var reputation: NodeContext.SavedReputation
    var unfinished: [TaskRecord]
}

extension GridNode {
    /// Opens the store and reads what a start needs; synchronous: run it with `GridDatabase.offPool`.
    func readStoreAtStart() throws -> StoreAtStart {
        let database = try StoreStartup.open(dataDirectory, nodeID: identity.nodeID, newStore: newStore, logger: logger)
        for entry in bootstrap {
            if let key = entry.publicKey {
                try? database.pinPeer(key, addresses: [entry.address.description], atMs: WallClock.nowMs())
            }
        }
        let book = (try? database.knownPeers()) ?? []
        let reputation = NodeContext.savedReputation(database, logger: logger)
        var unfinished: [TaskRecord] = []
        do {
            unfinished = try database.unfinishedTasks()
        } catch {
            logger.error("cannot read the unfinished tasks to resume them: \(error.message)")
        }
        return StoreAtStart(database: database, book: book, reputation: reputation, unfinished: unfinished)
    }
}
