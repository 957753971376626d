import GridCore
import GridCrypto
import GridWire
import Logging
import NIOCore

/// Runs one connection from its first byte to its close: the handshake under its deadline, then
/// every frame the peer sends, handed to the part of the node it concerns.
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

    /// Runs `channel` until it closes. `expectedPeer` is the key pinned for a dialled address.
    func run(_ channel: PeerChannel, direction: PeerSession.Direction, expectedPeer: NodeID?) async -> Outcome {
        let remote = channel.channel.remoteAddress.map(Self.describe) ?? "unknown"
        var logger = node.logger
        logger[metadataKey: "remote"] = "\(remote)"
        var outcome = Outcome.handshakeFailed(.unspecified)
        var registered: PeerSession?
        do {
            try await channel.executeThenClose { inbound, outbound in
                var frames = inbound.makeAsyncIterator()
                var machine = HandshakeMachine(
                    identity: node.identity, challenge: SecureRandom.bytes(HandshakeMachine.challengeByteCount),
                    listenAddress: advertisedAddress, expectedPeer: expectedPeer)
                // The deadline closes the channel, which ends the wait for the next frame below.
                let deadline = channel.channel.eventLoop.scheduleTask(in: .milliseconds(Int64(node.settings.handshakeTimeoutMs))) {
                    channel.channel.close(promise: nil)
                }
                defer { deadline.cancel() }

                let started = ContinuousClock.now
                var actions = machine.start()
                var peer: HandshakeMachine.Peer?
                while peer == nil {
                    for action in actions {
                        switch action {
                        case .send(let frame):
                            try await outbound.write(frame)
                        case .established(let established):
                            peer = established
                        case .fail(let error, let reason):
                            logger.log(level: reason == .selfConnection ? .debug : .warning, "handshake refused: \(error.message)")
                            outcome = .handshakeFailed(reason)
                            return
                        }
                    }
                    if peer != nil { break }
                    guard let frame = try await frames.next() else {
                        if started.duration(to: .now) >= .milliseconds(node.settings.handshakeTimeoutMs),
                            case .fail(let error, let reason)? = machine.deadlinePassed().last
                        {
                            logger.info("\(error.message) (handshakeTimeoutMs \(node.settings.handshakeTimeoutMs))")
                            outcome = .handshakeFailed(reason)
                        } else {
                            logger.info("the peer closed the connection during the handshake")
                        }
                        return
                    }
                    actions = machine.receive(frame)
                }
                deadline.cancel()
                guard let peer else { return }

                let session = PeerSession(
                    id: await node.peers.nextSessionID(), peer: peer.nodeID, direction: direction, remoteAddress: remote,
                    listenAddress: Self.dialable(peer.listenAddress, remote: channel.channel.remoteAddress),
                    connectedAtMs: WallClock.nowMs(), outbound: outbound, channel: channel.channel)
                switch await node.peers.register(session) {
                case .duplicate:
                    logger.debug("already connected to \(peer.nodeID.short); closing the second connection")
                    outcome = .duplicate
                    try await outbound.write(.with {
                        $0.error = .with {
                            $0.code = .duplicate
                            $0.message = "already connected to this node over another connection"
                        }
                    })
                    return
                case .accepted(let replaced):
                    registered = session
                    outcome = .closed
                    replaced?.channel.close(promise: nil)
                }
                logger[metadataKey: "peer"] = "\(peer.nodeID.short)"
                logger.info("connected to peer \(peer.nodeID) (\(direction.rawValue))")
                try await outbound.write(node.sealed(await announcement()))

                let dispatcher = FrameDispatcher(node: node, coordinator: coordinator, taskServer: taskServer, session: session, logger: logger)
                while let frame = try await frames.next() {
                    guard await dispatcher.dispatch(frame) else { break }
                }
            }
        } catch {
            logger.debug("connection ended: \(error)")
        }
        if let registered, await node.peers.unregister(registered) {
            logger.info("disconnected from peer \(registered.peer)")
            await coordinator.peerLost(registered.peer)
        }
        return outcome
    }

    private func announcement() async -> Grid_V1_SkillAnnouncement {
        var message = Grid_V1_SkillAnnouncement()
        message.skills = node.localSkills.map(\.name).sorted()
        message.capacity = UInt32(node.settings.maxConcurrentTasks)
        message.load = UInt32(await node.executor.load)
        return message
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
