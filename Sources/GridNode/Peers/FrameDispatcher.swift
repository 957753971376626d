import GridCore
import GridWire
import Logging

/// Checks each frame an authenticated peer sends and hands it to the part of the node it concerns.
/// A claim whose signature is missing or wrong, whose author is not the peer, or that is stale or
/// replayed, is dropped, counted and logged, and never acted on.
struct FrameDispatcher {
    /// Most signed PeerRecords sent in one PeerExchangeResponse.
    static let maxExchangeRecords = 64
    /// Most addresses a PeerRecord may list.
    static let maxRecordAddresses = 8
    /// Most entries a TrustReport may carry.
    static let maxTrustEntries = 1000

    let node: NodeContext
    let coordinator: DelegationCoordinator
    let taskServer: TaskServer
    let session: PeerSession
    let logger: Logger

    /// Handles `frame`; false when the connection must close.
    func dispatch(_ frame: Grid_V1_Frame) async -> Bool {
        switch frame.body {
        case .envelope(let envelope):
            await dispatch(envelope)
            return true
        case .ping(let ping):
            try? await session.send(.with { $0.pong = .with { $0.nonce = ping.nonce } })
            return true
        case .pong(let pong):
            for directive in await node.peers.pongReceived(from: session.peer, nonce: pong.nonce) where directive == .becameAlive {
                logger.info("peer is alive again")
            }
            return true
        case .peerExchangeRequest(let request):
            let limit = min(Int(request.maxRecords == 0 ? UInt32(Self.maxExchangeRecords) : request.maxRecords), Self.maxExchangeRecords)
            let records = await node.peers.peerRecords(for: session.peer, limit: limit)
            try? await session.send(.with { $0.peerExchangeResponse = .with { $0.records = records } })
            return true
        case .peerExchangeResponse(let response):
            await checkExchangedRecords(response.records)
            return true
        case .goodbye(let goodbye):
            logger.info("peer said goodbye (\(goodbye.reason)): \(goodbye.message)")
            return false
        case .error(let error):
            logger.warning("peer closed the connection: \(error.message)")
            switch error.code {
            case .banned: await node.peers.peerBannedUs(session.peer)
            case .temporarilyBanned:
                // At most a week: a peer cannot keep this node away for longer with one frame.
                let wait = Int64(min(error.retryAfterMs, 7 * 86_400_000))
                await node.peers.peerBannedUs(session.peer, untilMs: WallClock.nowMs() + wait)
            default: break
            }
            return false
        case .hello, .helloProof:
            await drop(.unexpected, "a handshake frame after the handshake; closing the connection", offence: .unexpected)
            return false
        case nil:
            // A frame kind from a newer protocol version: skip it.
            await drop(.unexpected, "a frame of a kind this node does not know")
            return true
        }
    }

    private func dispatch(_ envelope: Grid_V1_SignedEnvelope) async {
        let claim: VerifiedEnvelope
        do {
            claim = try envelope.verify()
        } catch {
            await drop(error.code == .badSignature ? .badSignature : .malformed, error.message)
            return
        }
        guard claim.author == session.peer else {
            await drop(.wrongAuthor, "\(claim.payloadType) signed by \(claim.author.short), not by the peer that sent it")
            return
        }
        do {
            try await node.claims.admit(claim)
        } catch {
            await drop(error.code == .replayedClaim ? .replayed : .stale, error.message)
            return
        }
        do {
            switch claim.payloadType {
            case Grid_V1_SkillAnnouncement.protoMessageName:
                let announcement = try claim.decode(Grid_V1_SkillAnnouncement.self)
                let skills = announcement.skills.compactMap { try? SkillID($0) }
                // Names not in `skills`, or not valid, are ignored (the entry keeps the intersection).
                let deterministic = announcement.deterministicSkills.compactMap { try? SkillID($0) }
                await node.peers.announced(
                    by: session.peer,
                    SkillRegistry.Entry(
                        skills: Set(skills), capacity: Int(announcement.capacity), load: Int(announcement.load),
                        queued: Int(announcement.queued), maxQueued: Int(announcement.maxQueued), deterministic: Set(deterministic),
                        lastSeen: .now))
                logger.debug("peer serves \(skills.map(\.name).sorted())")
                await coordinator.capacityMayHaveFreed()
            case Grid_V1_PeerRecord.protoMessageName:
                let record = try claim.decode(Grid_V1_PeerRecord.self)
                guard record.networkID == node.settings.networkID, record.addresses.count <= Self.maxRecordAddresses else {
                    return await drop(
                        .malformed,
                        "a PeerRecord for network '\(record.networkID.prefix(64))' or with over \(Self.maxRecordAddresses) addresses")
                }
                await node.peers.recorded(envelope, of: session.peer)
            case Grid_V1_TaskRequest.protoMessageName:
                await taskServer.received(try claim.decode(Grid_V1_TaskRequest.self), payload: Array(claim.payload), from: session)
            case Grid_V1_TaskAck.protoMessageName:
                await coordinator.ackReceived(try claim.decode(Grid_V1_TaskAck.self), from: session.peer)
            case Grid_V1_TaskResult.protoMessageName:
                await coordinator.resultReceived(try claim.decode(Grid_V1_TaskResult.self), signed: envelope, from: session.peer)
            case Grid_V1_TaskProgress.protoMessageName:
                let progress = try claim.decode(Grid_V1_TaskProgress.self)
                _ = try TaskProgressMessage(progress)  // out of bounds: dropped as malformed
                await coordinator.progressReceived(progress, from: session.peer)
            case Grid_V1_TaskCancel.protoMessageName:
                await taskServer.cancelled(try claim.decode(Grid_V1_TaskCancel.self), by: session.peer)
            case Grid_V1_TrustReport.protoMessageName:
                let report = try claim.decode(Grid_V1_TrustReport.self)
                guard report.entries.count <= Self.maxTrustEntries else {
                    return await drop(.malformed, "a TrustReport of \(report.entries.count) entries; at most \(Self.maxTrustEntries)")
                }
                do {
                    try await node.reputation.receiveReport(report, from: session.peer)
                } catch {
                    return await drop(.malformed, error.message)
                }
            case Grid_V1_ConvictionEvidence.protoMessageName:
                await receiveEvidence(claim)
            default:
                await drop(.unexpected, "a claim of unknown type \(claim.payloadType)")
            }
        } catch {
            await drop(.malformed, error.message)
        }
    }

    /// A peer's proof of a wrong result: within the peer's allowance, and structurally sound (a
    /// proof that is not is dropped as malformed and counted against the peer), it goes to
    /// ``EvidenceGossip`` to be judged. The envelope's author is the messenger; the proof is
    /// checked on its own signatures, never on the messenger's word.
    private func receiveEvidence(_ claim: VerifiedEnvelope) async {
        guard await node.evidence.admit(from: session.peer) else { return }
        let evidence: ConvictionEvidenceMessage
        do throws(GridError) {
            let wire = try claim.decode(Grid_V1_ConvictionEvidence.self)
            do {
                evidence = try ConvictionEvidenceMessage(
                    wire, maxBytes: ConvictionEvidenceMessage.maxBytes(frameLimit: node.settings.maxFrameBytes), payloadBytes: claim.payload.count)
            } catch {
                throw error.gridError
            }
        } catch {
            return await drop(.malformed, error.message)
        }
        await node.evidence.received(evidence, from: session.peer)
    }

    /// Records forwarded in peer exchange are claims by third parties: each must verify and be a
    /// PeerRecord of this network. Valid ones go to ``Discovery``, which dials the nodes they name.
    private func checkExchangedRecords(_ records: [Grid_V1_SignedEnvelope]) async {
        guard records.count <= Self.maxExchangeRecords else {
            return await drop(.malformed, "a PeerExchangeResponse of \(records.count) records; at most \(Self.maxExchangeRecords)")
        }
        var valid: [(node: NodeID, addresses: [String], timestampMs: UInt64)] = []
        for envelope in records {
            do throws(GridError) {
                let claim = try envelope.verify()
                let record = try claim.decode(Grid_V1_PeerRecord.self)
                guard record.networkID == node.settings.networkID, record.addresses.count <= Self.maxRecordAddresses else {
                    throw GridError(
                        .unexpectedPayload,
                        "a PeerRecord of network '\(record.networkID.prefix(64))' with \(record.addresses.count) addresses (at most \(Self.maxRecordAddresses))")
                }
                valid.append((claim.author, record.addresses, claim.timestampMs))
            } catch {
                await drop(error.code == .badSignature ? .badSignature : .malformed, "exchanged record: \(error.message)")
            }
        }
        let banned = Set(((try? await node.database.background { try $0.knownPeers() }) ?? []).filter(\.isBanned).compactMap { try? NodeID(hex: $0.nodeId) })
            .union(await node.peers.temporarilyBanned())
        await node.discovery.learn(
            valid, nowMs: UInt64(WallClock.nowMs()), connected: await node.peers.connectedPeers,
            outbound: await node.peers.outboundCount, banned: banned)
    }

    /// Counts a dropped message and, unless it may be a later version's (a kind this node does not
    /// know), the peer's offence.
    private func drop(_ reason: NodeStats.DropReason, _ detail: String, offence: Offence? = nil) async {
        await node.stats.dropped(reason)
        if let offence = offence ?? reason.offence { await node.misbehaved(session.peer, offence) }
        logger.warning("dropped a message from \(session.peer.short) (\(reason.rawValue)): \(detail)")
    }
}
