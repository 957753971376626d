import GridCore
import GridCrypto
import GridWire
import Logging
import NIOCore

/// Runs one connection from its first byte to its close: the handshake under its deadline, then
/// every frame the peer sends — decrypted, rate-limited — handed to the part of the node it concerns.
struct PeerConnection {
    enum Outcome: Equatable {
        /// The handshake completed; the connection has since closed.
        case closed
        /// The handshake failed or did not complete; `reason` is the protocol's error code.
        case handshakeFailed(Grid_V1_ErrorCode)
        /// The peer was already connected over a connection that wins.
        case duplicate
    }

    let node: NodeContext
    let coordinator: DelegationCoordinator
    let taskServer: TaskServer
    let advertisedAddress: String

    /// Runs `channel` until it closes. `expectedPeer` is the key pinned for a dialled address;
    /// `protected` marks a bootstrap or operator-added peer, never closed to make room.
    func run(
        _ channel: PeerChannel, direction: PeerSession.Direction, expectedPeer: NodeID?, pinAdvice: String? = nil, protected: Bool = false
    ) async -> Outcome {
        let remote = channel.channel.remoteAddress.map(Self.describe) ?? "unknown"
        var logger = node.logger
        logger[metadataKey: "remote"] = "\(remote)"
        var outcome = Outcome.handshakeFailed(.unspecified)
        var registered: PeerSession?
        let inbound = direction == .inbound
        let ip = channel.channel.remoteAddress?.ipAddress ?? remote
        var pendingID: UInt64?
        if inbound {
            switch await node.peers.beginHandshake(
                from: ip, maxPending: node.settings.maxPendingHandshakes, close: { [channel = channel.channel] in channel.close(promise: nil) })
            {
            case .failure(let refusal):
                await node.stats.refused(.handshakeLimit)
                node.refusals.log(logger, "refused a connection: \(refusal.reason)")
                await refuseAtOnce(channel, refusal.code, refusal.reason)
                return .handshakeFailed(refusal.code)
            case .success(let id):
                pendingID = id
            }
        }
        var pending = inbound
        var evicted = false  // closed to make room for a newer connection while it said nothing
        do {
            try await channel.executeThenClose { frames, outbound in
                var frames = frames.makeAsyncIterator()
                let handshake = try await shake(
                    channel, &frames, outbound, direction: direction, expectedPeer: expectedPeer, pinAdvice: pinAdvice, logger: logger,
                    spoke: { if let pendingID { await node.peers.handshakeSpoke(pendingID) } })
                if pending, let pendingID {
                    pending = false
                    if await !node.peers.endHandshake(pendingID) { evicted = true }
                }
                guard case .success(let peer, let receiveKey) = handshake else {
                    if case .failure(let reason) = handshake {
                        outcome = .handshakeFailed(reason)
                        // Its Error frame reaches the peer; briefly, since a flood of bad handshakes
                        // must not hold sockets open long (the pending-handshake place is free already).
                        await LingeringClose.close(channel.channel, linger: .milliseconds(100))
                    }
                    return
                }

                let known = try? await node.database.background { [id = peer.nodeID] in try $0.knownPeer(id) }
                if let known, known.isBanned {
                    logger.warning("refused banned peer \(peer.nodeID.short): \(known.banReason ?? "")")
                    outcome = .handshakeFailed(.banned)
                    try await outbound.write(.frame(.error(.banned, "the operator of node \(node.nodeID.short) has banned your node")))
                    return
                }
                if let until = await node.peers.bannedUntil(peer.nodeID) {
                    let left = max(0, until - WallClock.nowMs())
                    node.refusals.log(logger, "refused peer \(peer.nodeID.short): banned for misbehaviour for \(left / 1000) s more")
                    outcome = .handshakeFailed(.temporarilyBanned)
                    try await outbound.write(.frame(.error(.temporarilyBanned, await node.peers.banMessage(leftMs: left), retryAfterMs: UInt64(left))))
                    await LingeringClose.close(channel.channel, linger: .milliseconds(100))
                    return
                }
                if node.faults.isPartitioned(from: peer.nodeID) {  // a test grid's fault
                    logger.info("refused peer \(peer.nodeID.short): partitioned from it (fault)")
                    outcome = .handshakeFailed(.unspecified)
                    return
                }
                let pinned = known?.pinned ?? false
                let session = PeerSession(
                    id: await node.peers.nextSessionID(), peer: peer.nodeID, direction: direction, remoteAddress: remote,
                    listenAddress: Self.dialable(peer.listenAddress, remote: channel.channel.remoteAddress),
                    connectedAtMs: WallClock.nowMs(), ip: ip, protected: protected || pinned, outbound: outbound, channel: channel.channel)
                switch await node.peers.register(session) {
                case .duplicate:
                    logger.debug("already connected to \(peer.nodeID.short); closing the second connection")
                    outcome = .duplicate
                    try await session.send(.error(.duplicate, "already connected to this node over another connection"))
                    return
                case .accepted(let replaced):
                    registered = session
                    outcome = .closed
                    replaced?.channel.close(promise: nil)
                }
                do {
                    try await node.database.background { [id = peer.nodeID, address = session.listenAddress, at = session.connectedAtMs] in
                        try $0.peerSeen(id, addresses: [address], atMs: at)
                    }
                } catch {
                    logger.warning("could not record peer \(peer.nodeID.short) in the address book: \(error)")
                }
                logger[metadataKey: "peer"] = "\(peer.nodeID.short)"
                logger.info("connected to peer \(peer.nodeID) (\(direction.rawValue), protocol version \(peer.version))")
                for closed in await node.peers.pruneAboveHighWatermark() {
                    logger.info("closed the connection to \(closed.short): above connectionHighWatermark")
                }
                await coordinator.peerConnected(peer.nodeID)
                try await session.send(node.sealed(node.announcement()))
                try await session.send(node.sealed(ownRecord()))
                node.tasks.spawn { [node] in await node.evidence.peerConnected(session) }
                try await serve(session, &frames, cipher: FrameCipher(key: receiveKey), logger: logger)
            }
        } catch {
            logger.debug("connection ended: \(error)")
        }
        if pending, let pendingID, await !node.peers.endHandshake(pendingID) { evicted = true }
        if evicted {
            await node.stats.refused(.evicted)
        } else if registered == nil, case .handshakeFailed(let code) = outcome, code != .selfConnection {
            // Every connection that never became a session is counted, however it ended.
            await node.stats.refused(code == .handshakeTimeout ? .handshakeTimeout : code == .unspecified ? .abandoned : .handshakeFailed)
        }
        if let registered, await node.peers.unregister(registered) {
            logger.info("disconnected from peer \(registered.peer)")
            await coordinator.peerLost(registered.peer)
            await node.evidence.peerLeft(registered.peer)
        }
        return outcome
    }

    private enum Handshake {
        case success(HandshakeMachine.Peer, receiveKey: [UInt8])
        case failure(Grid_V1_ErrorCode)
        case abandoned
    }

    /// Runs the handshake machine until the peer is proven, the handshake fails, or its deadline
    /// closes the channel.
    private func shake(
        _ channel: PeerChannel, _ frames: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator,
        _ outbound: NIOAsyncChannelOutboundWriter<OutboundFrame>, direction: PeerSession.Direction, expectedPeer: NodeID?,
        pinAdvice: String?, logger: Logger, spoke: () async -> Void
    ) async throws -> Handshake {
        let settings = node.settings
        var configuration = HandshakeMachine.Configuration(
            identity: node.identity, isDialer: direction == .outbound, networkID: settings.networkID,
            listenAddress: advertisedAddress, expectedPeer: expectedPeer)
        configuration.pinAdvice = pinAdvice
        var machine = HandshakeMachine(configuration, ephemeral: EphemeralKeyPair())
        // The deadline closes the channel, which ends the wait for the next frame below. The start
        // is taken before the deadline is set, so a close by the deadline always counts as one.
        let started = ContinuousClock.now
        let timeout = TimeAmount.milliseconds(Int64(settings.handshakeTimeoutMs))
        let deadline = channel.channel.eventLoop.scheduleTask(in: timeout) { channel.channel.close(promise: nil) }
        defer { deadline.cancel() }

        var actions = machine.start()
        var heard = false
        while true {
            for action in actions {
                switch action {
                case .send(let frame):
                    try await outbound.write(.frame(frame))
                case .startEncrypting(let key):
                    try await outbound.write(.startEncrypting(key: key))
                case .established(let peer, let receiveKey):
                    return .success(peer, receiveKey: receiveKey)
                case .fail(let error, let reason):
                    if reason == .selfConnection {
                        logger.debug("handshake refused: \(error.message)")
                    } else {
                        node.refusals.log(logger, "handshake refused: \(error.message)")
                    }
                    return .failure(reason)
                }
            }
            // A stream cut off inside a frame (by the deadline, or the peer) ends the handshake too.
            guard let body = try? await frames.next() else {
                if started.duration(to: .now) >= .milliseconds(settings.handshakeTimeoutMs),
                    case .fail(let error, let reason)? = machine.deadlinePassed().last
                {
                    node.refusals.log(logger, "\(error.message) (handshakeTimeoutMs \(settings.handshakeTimeoutMs))", level: .info)
                    return .failure(reason)
                }
                node.refusals.log(logger, "the peer closed the connection during the handshake", level: .info)
                return .abandoned
            }
            if !heard {
                heard = true
                await spoke()
            }
            do {
                actions = machine.receive(try PlainFrame.parse(body.readableBytesView))
            } catch {
                actions = machine.receive(Grid_V1_Frame())  // not a frame at all: the machine refuses it as malformed
            }
        }
    }

    /// Reads the peer's frames until it leaves, breaks a rule, dies, or the node stops; meanwhile
    /// pings it on the liveness schedule.
    private func serve(
        _ session: PeerSession, _ frames: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator, cipher: FrameCipher,
        logger: Logger
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await watchLiveness(session, logger: logger) }
            try await read(session, &frames, cipher: cipher, logger: logger)
            group.cancelAll()
        }
    }

    /// Ticks the peer's liveness machine every ping interval and carries out what it says. A dead
    /// peer's connection is closed, which drops its skills and moves its tasks elsewhere at once.
    private func watchLiveness(_ session: PeerSession, logger: Logger) async {
        let interval = Duration.milliseconds(node.settings.pingIntervalMs)
        while (try? await Task.sleep(for: interval)) != nil {
            for directive in await node.peers.livenessTick(session) {
                switch directive {
                case .sendPing(let nonce):
                    try? await session.send(.with { $0.ping = .with { $0.nonce = nonce } })
                case .becameSuspect:
                    logger.warning("peer is suspect: \(node.settings.suspectAfterMissedPings) pings unanswered")
                case .becameAlive:
                    logger.info("peer is alive again")
                case .declareDead:
                    logger.warning("peer is dead: not heard from for \(node.settings.suspicionTimeoutMs) ms while suspect; dropping it")
                    session.channel.close(promise: nil)
                    return
                }
            }
        }
    }

    private func read(
        _ session: PeerSession, _ frames: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator, cipher: FrameCipher,
        logger: Logger
    ) async throws {
        var cipher = cipher
        // Hearing from the peer refutes suspicion; telling the peer manager once per interval is enough.
        var lastReported = ContinuousClock.now
        let reportEvery = Duration.milliseconds(max(10, node.settings.pingIntervalMs / 4))
        let rate = Double(node.settings.maxMessagesPerSecond)
        var bucket = TokenBucket(ratePerSecond: rate, burst: rate)
        let dispatcher = FrameDispatcher(node: node, coordinator: coordinator, taskServer: taskServer, session: session, logger: logger)
        while true {
            let body: ByteBuffer?
            do {
                body = try await frames.next()
            } catch let error as GridError {
                // The frame decoder refused the stream (oversized or empty frame): the connection is unusable.
                return await breakOff(session, error.code == .frameTooLarge ? .frameTooLarge : .malformed, error.message, logger: logger)
            }
            guard let body else { return }
            guard bucket.take(now: .now) else {
                return await breakOff(
                    session, .rateLimited, "more than \(node.settings.maxMessagesPerSecond) messages per second (maxMessagesPerSecond)",
                    logger: logger)
            }
            let frame: Grid_V1_Frame
            do {
                frame = try cipher.open(body.readableBytesView)
            } catch {
                return await breakOff(session, .malformed, error.message, logger: logger)
            }
            if node.faults.allowed, node.faults.isPartitioned(from: session.peer) || node.faults.dropsIncoming() { continue }
            let now = ContinuousClock.now
            if lastReported.duration(to: now) >= reportEvery {
                lastReported = now
                for directive in await node.peers.heard(from: session.peer) where directive == .becameAlive {
                    logger.info("peer is alive again")
                }
            }
            guard await dispatcher.dispatch(frame) else { return }
        }
    }

    /// Counts the peer's misbehaviour, tells it why, and ends the connection.
    private func breakOff(_ session: PeerSession, _ code: Grid_V1_ErrorCode, _ message: String, logger: Logger) async {
        await node.misbehaved(session.peer, .connectionRule)
        await node.stats.dropped(.misbehaviour)
        logger.warning("disconnecting \(session.peer.short): \(message)")
        try? await session.send(.error(code, message))
        await LingeringClose.close(session.channel)
    }

    /// Answers a connection there is no room for, without reading from it.
    private func refuseAtOnce(_ channel: PeerChannel, _ code: Grid_V1_ErrorCode, _ message: String) async {
        try? await channel.executeThenClose { _, outbound in
            try await outbound.write(.frame(.error(code, message)))
            await LingeringClose.close(channel.channel, linger: .milliseconds(100))
        }
    }

    /// This node's signed record for peer exchange. An address on every interface (0.0.0.0, ::)
    /// is left out: nobody else could dial it; the direct peer learns the real IP from the socket.
    private func ownRecord() -> Grid_V1_PeerRecord {
        var record = Grid_V1_PeerRecord()
        let address = try? HostPort(parsing: advertisedAddress)
        record.addresses = address.map { $0.isUnspecified ? [] : [$0.description] } ?? []
        record.networkID = node.settings.networkID
        return record
    }

    static func describe(_ address: SocketAddress) -> String {
        guard let ip = address.ipAddress, let port = address.port else { return "\(address)" }
        return HostPort(host: ip, port: port).description
    }

    /// A peer listening on every interface (0.0.0.0 or ::) is dialled at the IP it connected from.
    static func dialable(_ advertised: String, remote: SocketAddress?) -> String {
        guard let address = try? HostPort(parsing: advertised) else { return "" }
        guard address.isUnspecified, let ip = remote?.ipAddress else { return address.description }
        return HostPort(host: ip, port: address.port).description
    }
}

extension Grid_V1_Frame {
    static func error(_ code: Grid_V1_ErrorCode, _ message: String, retryAfterMs: UInt64 = 0) -> Grid_V1_Frame {
        .with {
            $0.error = .with {
                $0.code = code
                $0.message = message
                $0.retryAfterMs = retryAfterMs
            }
        }
    }
}
