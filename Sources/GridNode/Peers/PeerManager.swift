import GridCore
import GridCrypto
import GridLocalAPI
import GridWire
import Logging
import NIOCore

/// The connections this node holds — at most one per peer — what each peer announced, and how
/// often each peer broke the rules.
actor PeerManager {
    let localNode: NodeID
    private var sessions: [NodeID: PeerSession] = [:]
    private(set) var registry: SkillRegistry
    /// Each connected peer's own signed PeerRecord, as it sent it: what peer exchange hands out.
    private var records: [NodeID: Grid_V1_SignedEnvelope] = [:]
    /// Rule breaks per peer (kept after it disconnects), their decaying score and the bans they
    /// earned: bad signatures, replays, rate, decryption, false evidence.
    private var misbehaviour: MisbehaviourLedger
    /// Inbound connections still in their handshake, and how to close each.
    private var pending: [UInt64: (info: PendingHandshake, close: @Sendable () -> Void)] = [:]
    private var lastPendingID: UInt64 = 0
    /// Dials in progress, by address, with the key expected there if any.
    private var connecting: [String: NodeID?] = [:]
    /// Peers that died or left, newest last: shown as "dead" for a while, at most `maxRemembered`.
    private var departed: [(view: PeerView, atMs: Int64)] = []
    static let maxRemembered = 64
    static let rememberForMs: Int64 = 600_000
    private let limits: ConnectionLimits
    private var lastSessionID: UInt64 = 0
    /// Each connected peer's liveness, and when it was last heard from (wall clock, ms).
    private var liveness: [NodeID: (machine: LivenessMachine, lastSeenMs: Int64)] = [:]
    private let livenessSettings: LivenessSettings
    private var rng = SecureRandomNumberGenerator()

    init(
        localNode: NodeID, liveness: LivenessSettings = .default, limits: ConnectionLimits = .default,
        registry: SkillRegistry.Settings = .default, misbehaviour: MisbehaviourSettings = .default
    ) {
        self.localNode = localNode
        self.misbehaviour = MisbehaviourLedger(settings: misbehaviour)
        self.registry = SkillRegistry(settings: registry)
        livenessSettings = liveness
        self.limits = limits
    }

    func nextSessionID() -> UInt64 {
        lastSessionID += 1
        return lastSessionID
    }

    /// Claims a place for an inbound connection from `ip` before its handshake, or says why there
    /// is none (``ConnectionPolicy/admission(inboundFrom:connections:pending:maxPending:limits:)``):
    /// the place of the oldest silent handshake may be taken, which `close` then ends. The ID
    /// returned goes to ``handshakeSpoke(_:)`` and ``endHandshake(_:)``.
    func beginHandshake(
        from ip: String, maxPending: Int, close: @escaping @Sendable () -> Void
    ) -> Result<UInt64, HandshakeRefusal> {
        switch ConnectionPolicy.admission(
            inboundFrom: ip, connections: connectionInfos, pending: Array(pending.values.map(\.info)), maxPending: maxPending, limits: limits)
        {
        case .refuse(let reason):
            return .failure(HandshakeRefusal(reason: reason))
        case .admitEvicting(let victim):
            pending.removeValue(forKey: victim)?.close()
            evictedHandshakes += 1
        case .admit:
            break
        }
        lastPendingID += 1
        pending[lastPendingID] = (PendingHandshake(id: lastPendingID, ip: ip, acceptedAt: Int64(lastPendingID), spoke: false), close)
        return .success(lastPendingID)
    }

    struct HandshakeRefusal: Error {
        var code: Grid_V1_ErrorCode = .tooManyConnections
        var reason: String
    }

    /// A whole frame came from the pending handshake `id`: it is no longer evicted to make room.
    func handshakeSpoke(_ id: UInt64) {
        pending[id]?.info.spoke = true
    }

    /// The handshake `id` ended (either way); its place is free. False when it had been evicted.
    @discardableResult
    func endHandshake(_ id: UInt64) -> Bool {
        pending.removeValue(forKey: id) != nil
    }

    /// Handshakes closed to make room for a newer connection, since the node started.
    private(set) var evictedHandshakes = 0

    private var connectionInfos: [ConnectionInfo] {
        sessions.values.map {
            ConnectionInfo(
                peer: $0.peer, inbound: $0.direction == .inbound, ip: $0.ip, protected: $0.protected,
                skillCount: registry.skills(of: $0.peer).count, connectedAtMs: $0.connectedAtMs)
        }
    }

    /// Closes the least useful connections while there are more than the high watermark.
    func pruneAboveHighWatermark() async -> [NodeID] {
        let victims = ConnectionPolicy.toPrune(connectionInfos, limits: limits)
        for peer in victims {
            guard let session = sessions[peer] else { continue }
            try? await session.send(.with {
                $0.goodbye = .with {
                    $0.reason = .idle
                    $0.message = "this node has more than \(limits.highWatermark) connections (connectionHighWatermark) and closes the least used"
                }
            })
            session.channel.close(promise: nil)
        }
        return victims
    }

    enum Registration {
        /// The session is the peer's connection now; `replaced`, if any, must be closed.
        case accepted(replaced: PeerSession?)
        /// The peer already has a connection that wins; close the new one.
        case duplicate
    }

    /// Adds an authenticated session. When both nodes dialled each other, both keep the connection
    /// dialled by the node with the smaller ID; when one node dialled twice, both keep the newer
    /// connection (a redial means the dialler believes the old one dead). Either way the two sides
    /// agree without talking.
    func register(_ session: PeerSession) -> Registration {
        guard let existing = sessions[session.peer] else {
            sessions[session.peer] = session
            liveness[session.peer] = (LivenessMachine(settings: livenessSettings, now: .now), WallClock.nowMs())
            return .accepted(replaced: nil)
        }
        let (newDialer, oldDialer) = (session.dialer(localNode: localNode), existing.dialer(localNode: localNode))
        guard newDialer == oldDialer || newDialer < oldDialer else {
            return .duplicate
        }
        sessions[session.peer] = session
        liveness[session.peer] = (LivenessMachine(settings: livenessSettings, now: .now), WallClock.nowMs())  // a new connection starts afresh
        return .accepted(replaced: existing)
    }

    /// The dialers that keep a peer connected (bootstrap, address book, `peers add`), by address:
    /// the key pinned there and the generation of the dialer that is wanted. A dialer whose
    /// generation is not the one here stops (``PeerDialer``).
    private var persistentDials: [String: (key: NodeID?, generation: Int)] = [:]
    private var lastDialGeneration = 0

    /// Registers a dialer that keeps `entry` connected; an earlier one for the same address is no longer wanted.
    func startPersistentDial(_ entry: BootstrapPeer) -> Int {
        lastDialGeneration += 1
        persistentDials[entry.address.description] = (entry.publicKey, lastDialGeneration)
        return lastDialGeneration
    }

    func isDialWanted(_ address: String, generation: Int) -> Bool {
        persistentDials[address]?.generation == generation
    }

    /// Stops the dialers of `address`, or of every address where `key` is pinned: the addresses.
    func withdrawDials(address: String? = nil, key: NodeID? = nil) -> [String] {
        let withdrawn = persistentDials.filter { entry in entry.key == address || (key != nil && entry.value.key == key) }.keys
        for address in withdrawn { persistentDials[address] = nil }
        return withdrawn.sorted()
    }

    func dialStarted(_ address: String, expecting key: NodeID?) {
        connecting[address] = key
    }

    func dialEnded(_ address: String) {
        connecting[address] = nil
    }

    /// Removes a closed session. True when it was the peer's current one: the peer is gone.
    func unregister(_ session: PeerSession) -> Bool {
        guard sessions[session.peer]?.id == session.id else { return false }
        if var last = view(of: session) {
            last.state = "dead"
            departed.append((last, WallClock.nowMs()))
            if departed.count > Self.maxRemembered { departed.removeFirst(departed.count - Self.maxRemembered) }
        }
        sessions[session.peer] = nil
        registry.remove(session.peer)
        records[session.peer] = nil
        liveness[session.peer] = nil
        return true
    }

    /// The ping timer of `session` fired: what its liveness machine says to do.
    func livenessTick(_ session: PeerSession) -> [LivenessMachine.Directive] {
        guard sessions[session.peer]?.id == session.id, var entry = liveness[session.peer] else { return [] }
        let directives = entry.machine.tick(now: .now, using: &rng)
        liveness[session.peer] = entry
        return directives
    }

    func pongReceived(from peer: NodeID, nonce: UInt64) -> [LivenessMachine.Directive] {
        guard var entry = liveness[peer] else { return [] }
        let directives = entry.machine.pongReceived(nonce: nonce, now: .now)
        entry.lastSeenMs = WallClock.nowMs()
        liveness[peer] = entry
        return directives
    }

    /// Any frame from `peer`: it is alive.
    func heard(from peer: NodeID) -> [LivenessMachine.Directive] {
        guard var entry = liveness[peer] else { return [] }
        let directives = entry.machine.heard(now: .now)
        entry.lastSeenMs = WallClock.nowMs()
        liveness[peer] = entry
        registry.heard(from: peer, at: .now)
        return directives
    }

    /// What the skill router needs from the peer layer: who offers what, and who is suspect.
    func routingView() -> (registry: SkillRegistry, unreachable: Set<NodeID>) {
        let suspect = liveness.filter { if case .suspect = $0.value.machine.state { true } else { false } }.keys
        return (registry, Set(suspect))
    }

    /// Whether `peer` declared `skill` deterministic in its latest SkillAnnouncement.
    func isDeterministic(_ skill: SkillID, on peer: NodeID) -> Bool {
        registry.isDeterministic(skill, on: peer)
    }

    /// What `peer` announced of `skill`: deterministic, not, or nil when it does not announce it.
    func deterministicDeclaration(of skill: SkillID, by peer: NodeID) -> Bool? {
        registry.deterministicDeclaration(of: skill, by: peer)
    }

    /// Drops registry entries of peers not heard from within the registry's expiry.
    func expireRegistry() -> [NodeID] {
        registry.expire(now: .now)
    }

    /// Records a peer's SkillAnnouncement, if the peer is still connected.
    func announced(by peer: NodeID, _ entry: SkillRegistry.Entry) {
        guard sessions[peer] != nil else { return }
        registry.update(peer, entry)
    }

    /// Keeps a connected peer's own signed PeerRecord for peer exchange.
    func recorded(_ record: Grid_V1_SignedEnvelope, of peer: NodeID) {
        guard sessions[peer] != nil else { return }
        records[peer] = record
    }

    /// Up to `limit` signed PeerRecords of connected peers other than `requester`.
    func peerRecords(for requester: NodeID, limit: Int) -> [Grid_V1_SignedEnvelope] {
        Array(records.filter { $0.key != requester }.sorted { $0.key < $1.key }.prefix(limit).map(\.value))
    }

    /// Disconnects `peer` at once, telling it why. False when it was not connected.
    func disconnect(_ peer: NodeID, code: Grid_V1_ErrorCode, message: String, retryAfterMs: UInt64 = 0) async -> Bool {
        guard let session = sessions[peer] else { return false }
        try? await session.send(.error(code, message, retryAfterMs: retryAfterMs))
        session.channel.close(promise: nil)
        return true
    }

    /// Peers that told this node it is banned there, with when the ban ends (nil: its operator
    /// banned this node, so not until this node restarts).
    private var bannedBy: [NodeID: Int64?] = [:]

    func peerBannedUs(_ peer: NodeID, untilMs: Int64? = nil) {
        bannedBy[peer] = untilMs
    }

    /// Whether `peer` has banned this node: `.some(nil)` for good, `.some(ms)` until then, nil when not.
    func banByPeer(_ peer: NodeID, nowMs: Int64) -> Int64?? {
        guard let until = bannedBy[peer] else { return nil }
        if let until, until <= nowMs {
            bannedBy[peer] = nil
            return nil
        }
        return .some(until)
    }

    /// Counts `offence` by `peer`. A verdict of ``MisbehaviourLedger/Verdict/ban(untilMs:durationMs:)``
    /// is carried out by the caller (``NodeContext/misbehaved(_:_:)``).
    func misbehaved(_ peer: NodeID, _ offence: Offence) -> MisbehaviourLedger.Verdict {
        misbehaviour.record(offence, by: peer, nowMs: WallClock.nowMs())
    }

    /// Counts `offence` by `peer`; when its score reaches the ban threshold, bans it for a while:
    /// disconnects it with `ERROR_CODE_TEMPORARILY_BANNED`, and neither accepts nor dials it until
    /// the ban ends.
    func punish(_ peer: NodeID, _ offence: Offence, stats: NodeStats, logger: Logger) async {
        guard case .ban(let until, let length) = misbehaved(peer, offence) else { return }
        await stats.banned()
        logger.warning(
            "banned peer \(peer.short) for \(length / 1000) s: its misbehaviour score reached banThreshold (\(Int(misbehaviour.settings.banThreshold))), the last offence \(offence.rawValue); `gridnode peers unban \(peer.hex)` lifts it")
        let left = max(0, until - WallClock.nowMs())
        _ = await disconnect(peer, code: .temporarilyBanned, message: banMessage(leftMs: left), retryAfterMs: UInt64(left))
    }

    /// What a peer banned for misbehaviour is told, with `leftMs` of its ban to go.
    func banMessage(leftMs: Int64) -> String {
        "node \(localNode.short) has banned your node for \((leftMs + 999) / 1000) s: its misbehaviour score reached banThreshold (\(Int(misbehaviour.settings.banThreshold))); dial again after retry_after_ms, and fix what the Error frames and dropped messages before it were about"
    }

    /// When `peer`'s ban for misbehaviour ends, or nil when it is not banned.
    func bannedUntil(_ peer: NodeID) -> Int64? {
        misbehaviour.bannedUntil(peer, nowMs: WallClock.nowMs())
    }

    /// Peers banned for misbehaviour now.
    func temporarilyBanned() -> Set<NodeID> {
        Set(misbehaviour.banned(nowMs: WallClock.nowMs()).map(\.peer))
    }

    /// Lifts `peer`'s ban for misbehaviour and clears its score; false when there was none.
    func forgive(_ peer: NodeID) -> Bool {
        misbehaviour.forgive(peer)
    }

    func session(for peer: NodeID) -> PeerSession? {
        sessions[peer]
    }

    var allSessions: [PeerSession] { Array(sessions.values) }
    var connectedPeers: Set<NodeID> { Set(sessions.keys) }
    var outboundCount: Int { sessions.values.count { $0.direction == .outbound } }

    /// The connected peer a bootstrap entry refers to, by pinned key or by address.
    func connectedPeer(matching entry: BootstrapPeer) -> NodeID? {
        if let key = entry.publicKey { return sessions[key] == nil ? nil : key }
        let address = entry.address.description
        return sessions.values.first { $0.listenAddress == address || ($0.direction == .outbound && $0.remoteAddress == address) }?.peer
    }

    var peerCount: Int { sessions.count }

    /// Connected peers (alive or suspect), then dials in progress (connecting), then peers that
    /// died or left in the last 10 minutes (dead).
    func views() -> [PeerView] {
        let connected = sessions.values.sorted { $0.peer < $1.peer }.compactMap(view(of:))
        let dialling = connecting.filter { address, key in
            key.map { sessions[$0] == nil } ?? !sessions.values.contains { $0.listenAddress == address || $0.remoteAddress == address }
        }.sorted { $0.key < $1.key }.map { address, key in
            PeerView(
                nodeId: key?.hex ?? "", address: address, listenAddress: address, direction: "outbound", skills: [], connectedAtMs: 0,
                state: "connecting", lastSeen: 0)
        }
        let now = WallClock.nowMs()
        var seen = Set(connected.map(\.nodeId))
        let banned = misbehaviour.banned(nowMs: now).filter { !seen.contains($0.peer.hex) }.map { peer, until in
            var view = departed.last { $0.view.nodeId == peer.hex }?.view
                ?? PeerView(nodeId: peer.hex, address: "", listenAddress: "", direction: "", skills: [], connectedAtMs: 0, lastSeen: 0)
            view.state = "banned"
            view.bannedUntilMs = until
            view.misbehaviour = misbehaviour.standing(of: peer, nowMs: now)?.offences ?? view.misbehaviour
            view.misbehaviourScore = nil
            view.skills = []
            view.rttMs = nil
            return view
        }
        seen.formUnion(banned.map(\.nodeId))
        let dead = departed.reversed().filter { now - $0.atMs <= Self.rememberForMs && seen.insert($0.view.nodeId).inserted }.map(\.view)
        return connected + dialling + banned + dead
    }

    private func view(of session: PeerSession) -> PeerView? {
        guard sessions[session.peer]?.id == session.id else { return nil }
        let health = liveness[session.peer]
        let standing = misbehaviour.standing(of: session.peer, nowMs: WallClock.nowMs())
        return PeerView(
            nodeId: session.peer.hex, address: session.remoteAddress, listenAddress: session.listenAddress,
            direction: session.direction.rawValue, skills: registry.skills(of: session.peer).map(\.name).sorted(),
            connectedAtMs: session.connectedAtMs, misbehaviour: standing?.offences ?? 0,
            state: health?.machine.stateName ?? "alive", rttMs: health?.machine.rtt.map { Double($0.nanoseconds) / 1e6 },
            lastSeen: health?.lastSeenMs ?? session.connectedAtMs,
            deterministicSkills: registry.entries[session.peer].map { $0.deterministic.map(\.name).sorted() },
            misbehaviourScore: standing.flatMap { $0.score >= 0.01 ? ($0.score * 100).rounded() / 100 : nil })
    }
}
