import GridCore
import GridWire
import Logging

/// Checks each frame an authenticated peer sends and hands it to the part of the node it concerns.
/// A claim whose signature is missing or wrong, or whose author is not the peer, is dropped,
/// counted and logged, and never acted on.
struct FrameDispatcher {
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
        case .error(let error):
            logger.warning("peer closed the connection: \(error.message)")
            return false
        case .hello, .helloProof:
            await drop(.unexpected, "a handshake frame after the handshake; closing the connection")
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
            switch claim.payloadType {
            case Grid_V1_SkillAnnouncement.protoMessageName:
                let announcement = try claim.decode(Grid_V1_SkillAnnouncement.self)
                let skills = announcement.skills.compactMap { try? SkillID($0) }
                await node.peers.announced(
                    by: session.peer,
                    SkillRegistry.Entry(skills: Set(skills), capacity: Int(announcement.capacity), load: Int(announcement.load)))
                logger.debug("peer serves \(skills.map(\.name).sorted())")
            case Grid_V1_TaskRequest.protoMessageName:
                await taskServer.received(try claim.decode(Grid_V1_TaskRequest.self), from: session)
            case Grid_V1_TaskAck.protoMessageName:
                await coordinator.ackReceived(try claim.decode(Grid_V1_TaskAck.self), from: session.peer)
            case Grid_V1_TaskResult.protoMessageName:
                await coordinator.resultReceived(try claim.decode(Grid_V1_TaskResult.self), from: session.peer)
            default:
                await drop(.unexpected, "a claim of unknown type \(claim.payloadType)")
            }
        } catch {
            await drop(.malformed, error.message)
        }
    }

    private func drop(_ reason: NodeStats.DropReason, _ detail: String) async {
        await node.stats.dropped(reason)
        logger.warning("dropped a message from \(session.peer.short) (\(reason.rawValue)): \(detail)")
    }
}
