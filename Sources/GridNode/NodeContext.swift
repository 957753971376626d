import Foundation
import GridCore
import GridCrypto
import GridStore
import GridWire
import Logging

/// What every part of a running node shares. Built once by ``GridNode`` and never changed.
final class NodeContext: Sendable {
    let identity: SigningIdentity
    let settings: NodeSettings
    let localSkills: Set<SkillID>
    let database: GridDatabase
    let logger: Logger
    let stats = NodeStats()
    let peers: PeerManager
    let executor: LocalExecutor
    let claims: ClaimGuard
    let discovery: Discovery

    init(identity: SigningIdentity, settings: NodeSettings, database: GridDatabase, logger: Logger) {
        self.identity = identity
        self.settings = settings
        self.database = database
        self.logger = logger
        localSkills = settings.skillIDs
        peers = PeerManager(localNode: identity.nodeID, liveness: settings.liveness, limits: settings.connectionLimits)
        claims = ClaimGuard(settings: settings, startedAtMs: UInt64(WallClock.nowMs()))
        discovery = Discovery(
            localNode: identity.nodeID, targetOutbound: settings.targetOutboundConnections, maxAgeMs: UInt64(settings.peerRecordMaxAgeMs))
        executor = LocalExecutor(
            skills: BuiltinSkills.all.filter { settings.skillIDs.contains($0.key) },
            capacity: settings.maxConcurrentTasks, maxQueued: settings.maxQueuedTasks)
    }

    var nodeID: NodeID { identity.nodeID }

    /// Signs `message` as this node and wraps it in a frame.
    func sealed<M: WireMessage>(_ message: M) throws -> Grid_V1_Frame {
        let envelope = try envelope(message)
        return .with { $0.envelope = envelope }
    }

    /// Signs `message` as this node.
    func envelope<M: WireMessage>(_ message: M) throws -> Grid_V1_SignedEnvelope {
        try Grid_V1_SignedEnvelope.seal(
            message, by: identity, timestampMs: UInt64(WallClock.nowMs()), nonce: SecureRandom.bytes(EnvelopeSigning.nonceByteCount))
    }
}

/// Wall-clock time for records and envelope timestamps (never for timers: those use ContinuousClock).
enum WallClock {
    static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
