import GridCore
import GridCrypto
import Logging

/// Keeps this node connected to one peer — a bootstrap entry, or one from the address book: dials
/// it, and when it cannot be reached or the connection drops, dials again after exponential backoff
/// with full jitter. Never dials a peer that is already connected the other way; gives up on an
/// entry that is this node itself, or a peer that is banned.
struct PeerDialer {
    let entry: BootstrapPeer
    let node: NodeContext
    let connection: PeerConnection
    /// How often to look again while the peer is connected over another connection.
    var connectedCheckInterval: Duration = .seconds(1)

    /// One attempt, for a peer learned from peer exchange: a failure is counted, not retried here.
    func dialOnce() async {
        guard await node.peers.connectedPeer(matching: entry) == nil, !faultForbids() else { return }
        await node.peers.dialStarted(entry.address.description, expecting: entry.publicKey)
        defer { node.tasks.spawn { [node, entry] in await node.peers.dialEnded(entry.address.description) } }
        do {
            let channel = try await PeerTransport.dial(
                entry.address, connectTimeout: .milliseconds(node.settings.connectTimeoutMs), maxFrameBytes: node.settings.maxFrameBytes, faults: node.faults)
            _ = await connection.run(channel, direction: .outbound, expectedPeer: entry.publicKey, pinAdvice: pinAdvice)
        } catch {
            node.logger.debug("learned peer \(entry.address) unreachable: \(error)")
            if let key = entry.publicKey { _ = try? await node.database.background { try $0.peerDialFailed(key) } }
        }
    }

    /// What a refusal for another key than the pinned one tells the operator to do.
    private var pinAdvice: String? {
        entry.publicKey.map { entry.pinnedBy.fix(key: $0, address: entry.address) }
    }

    /// Whether a test grid's fault forbids dialling this peer now (a partition, or refusing every
    /// connection): the dialler looks again each `connectedCheckInterval`, so a heal reconnects soon.
    private func faultForbids() -> Bool {
        node.faults.refusesConnections || entry.publicKey.map(node.faults.isPartitioned(from:)) == true
    }

    /// Sleeps until the wall-clock instant `untilMs`; false when the node stopped meanwhile.
    private func sleep(untilMs: Int64) async -> Bool {
        let left = max(0, untilMs - WallClock.nowMs())
        return (try? await Task.sleep(for: .milliseconds(left))) != nil
    }

    func run() async {
        let settings = node.settings
        let backoff = ExponentialBackoff(base: .milliseconds(settings.dialBackoffBaseMs), cap: .milliseconds(settings.dialBackoffMaxMs))
        var rng = SecureRandomNumberGenerator()
        var failures = 0
        var logger = node.logger
        logger[metadataKey: "bootstrap"] = "\(entry.name ?? entry.address.description)"
        let generation = await node.peers.startPersistentDial(entry)
        while !Task.isCancelled {
            guard await node.peers.isDialWanted(entry.address.description, generation: generation) else {
                logger.info("no longer dialling \(entry.address): removed, or added again")
                return
            }
            if let key = entry.publicKey, let until = await node.peers.bannedUntil(key) {
                guard await sleep(untilMs: until) else { return }  // banned here for misbehaviour: not dialled meanwhile
                continue
            }
            if await node.peers.connectedPeer(matching: entry) != nil || faultForbids() {
                failures = 0
                guard (try? await Task.sleep(for: connectedCheckInterval)) != nil else { return }
                continue
            }
            let outcome: PeerConnection.Outcome
            await node.peers.dialStarted(entry.address.description, expecting: entry.publicKey)
            do {
                let channel = try await PeerTransport.dial(
                    entry.address, connectTimeout: .milliseconds(settings.connectTimeoutMs), maxFrameBytes: settings.maxFrameBytes, faults: node.faults)
                outcome = await connection.run(
                    channel, direction: .outbound, expectedPeer: entry.publicKey, pinAdvice: pinAdvice, protected: true)
            } catch {
                outcome = .handshakeFailed(.unspecified)
                let level: Logger.Level = failures == 0 ? .info : .debug
                logger.log(level: level, "bootstrap peer \(entry.address) unreachable: \(error); retrying with backoff")
            }
            await node.peers.dialEnded(entry.address.description)
            switch outcome {
            case .handshakeFailed(.selfConnection):
                logger.info("bootstrap entry \(entry.address) is this node itself; not dialling it again")
                return
            case .handshakeFailed(.banned):
                logger.info("\(entry.address) is banned; not dialling it again")
                return
            case .closed, .duplicate:
                failures = 0
                if let peer = await node.peers.connectedPeer(matching: entry) ?? entry.publicKey,
                    let ban = await node.peers.banByPeer(peer, nowMs: WallClock.nowMs())
                {
                    guard let until = ban else {
                        logger.warning("\(entry.address) has banned this node; not dialling it again until restart")
                        return
                    }
                    logger.warning("\(entry.address) has banned this node for misbehaviour for \((until - WallClock.nowMs()) / 1000) s; dialling it again then")
                    guard await sleep(untilMs: until) else { return }
                    continue
                }
            case .handshakeFailed(.temporarilyBanned):
                // This node banned the peer: dial it again once the ban ends.
                if let key = entry.publicKey, let until = await node.peers.bannedUntil(key) {
                    guard await sleep(untilMs: until) else { return }
                    continue
                }
                failures += 1
            case .handshakeFailed:
                failures += 1
                if let key = entry.publicKey { _ = try? await node.database.background { try $0.peerDialFailed(key) } }
            }
            guard (try? await Task.sleep(for: backoff.delay(attempt: failures, using: &rng))) != nil else { return }
        }
    }
}
