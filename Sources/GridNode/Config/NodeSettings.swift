import Foundation
import GridCore
import Logging

/// A node's settings: `DIR/config.json`, overridden by `gridnode run` flags. Every key is optional
/// in the file; a missing key takes the default documented here (and in README.md). An unknown key
/// is an error, so a misspelt setting is never silently ignored.
public struct NodeSettings: Sendable, Equatable, Codable {
    /// TCP address peers connect to. Default `127.0.0.1:7401`; port 0 picks a free port.
    public var listen = HostPort(host: "127.0.0.1", port: 7401)
    /// The grid this node belongs to; nodes of different networks refuse each other. Default `main`.
    public var networkID = "main"
    /// Path of the bootstrap peers file (format in README.md). Default: none.
    public var bootstrapFile: String? = nil
    /// Built-in skills this node serves (`echo`, `sha256`, `sleep`, `fail`). Default `echo`, `sha256`.
    public var skills = ["echo", "sha256"]
    /// Command skills: skill name → the program that serves it, served besides `skills`
    /// (NodeSettings+Commands.swift, docs/TASKS.md). Default: none.
    public var skillCommands: [String: SkillCommand] = [:]
    /// Tasks this node runs at once. Default 4.
    public var maxConcurrentTasks = 4
    /// Tasks from peers waiting for a free slot before new ones are refused as busy. Default 64.
    public var maxQueuedTasks = 64
    /// Time a task may take when the application gives none, in ms. Default 30000.
    public var defaultTaskTimeoutMs = 30_000
    /// Longest timeout an application may ask for, in ms. Default 600000 (10 minutes).
    public var maxTaskTimeoutMs = 600_000
    /// Time a new connection has to complete its handshake, in ms. Default 5000.
    public var handshakeTimeoutMs = 5_000
    /// Inbound connections allowed in their handshake at once; more are refused at once. Default 64.
    public var maxPendingHandshakes = 64
    /// Local API connections open at once; one more is answered with an error naming this setting
    /// and closed, so no local client can use up the node's file descriptors. Default 256.
    public var maxLocalConnections = 256
    /// Messages a peer may send per second (bursts up to the same number); above it the peer is
    /// disconnected and the misbehaviour counted. Default 20000.
    public var maxMessagesPerSecond = 20_000
    /// Misbehaviour score at which a peer is banned for a while (each offence's points are in
    /// Protocol/README.md, "Misbehaviour"). Default 100.
    public var banThreshold = 100
    /// Time for a peer's misbehaviour score to halve, in ms. Default 600000 (10 minutes).
    public var misbehaviourHalfLifeMs = 600_000
    /// Length of a peer's first ban, in ms; each later one lasts twice the one before. Default 60000.
    public var firstBanMs = 60_000
    /// Longest ban, in ms; a peer whose last ban ended this long ago starts again from
    /// `firstBanMs`. Default 86400000 (24 hours).
    public var maxBanMs = 86_400_000
    /// How far a claim's timestamp may be from this node's clock, in ms. Default 60000.
    public var replayWindowMs = 60_000
    /// (author, nonce) pairs remembered to refuse replays within the window. Default 100000.
    public var replayCacheEntries = 100_000
    /// How often each peer is pinged, in ms. Default 1000.
    public var pingIntervalMs = 1_000
    /// A ping unanswered this long is missed, in ms. Default 1000.
    public var pingTimeoutMs = 1_000
    /// Missed pings in a row after which a peer is suspect. Default 2.
    public var suspectAfterMissedPings = 2
    /// A suspect peer not heard from this long is dead: dropped, its tasks moved elsewhere, in ms.
    /// Default 5000 (so death takes at least pingIntervalMs × suspectAfterMissedPings + this: 7 s).
    public var suspicionTimeoutMs = 5_000
    /// Inbound connections at most (handshaking ones included). Default 64.
    public var maxInboundConnections = 64
    /// Connections at most, both directions. Default 128.
    public var maxConnections = 128
    /// Connections from one IP address at most. Default 16.
    public var maxConnectionsPerIP = 16
    /// Above this many connections the least useful (never pinned or bootstrap peers) are closed. Default 96.
    public var connectionHighWatermark = 96
    /// Outbound connections this node seeks: address-book peers dialled at start (those failing
    /// least and seen most recently first), and peers learned by exchange while below it. Default 8.
    public var targetOutboundConnections = 8
    /// How often each peer is asked for the peers it knows (peer exchange), in ms. Default 30000.
    public var peerExchangeIntervalMs = 30_000
    /// Exchanged peer records older than this are not dialled, in ms. Default 3600000 (1 hour).
    public var peerRecordMaxAgeMs = 3_600_000
    /// Time a dial may take to connect, in ms. Default 3000.
    public var connectTimeoutMs = 3_000
    /// First retry delay for an unreachable bootstrap peer, in ms (doubles per failure, full jitter). Default 500.
    public var dialBackoffBaseMs = 500
    /// Longest retry delay for an unreachable bootstrap peer, in ms. Default 30000.
    public var dialBackoffMaxMs = 30_000
    /// Largest frame accepted or sent on a peer connection, in bytes. Default 4194304 (4 MiB).
    public var maxFrameBytes = 4 << 20
    /// Largest task input or output, in bytes. Default 1048576 (1 MiB).
    public var maxTaskBytes = 1 << 20
    /// Log level: trace, debug, info, notice, warning, error or critical. Default `info`.
    public var logLevel = "info"
    /// Whether the local API may set faults on this node (``FaultPlan``): only `gridnode run
    /// --allow-faults` sets it, for test grids; config.json cannot (it is refused there), so an
    /// operator's node never injects faults. Default false.
    public var allowFaults = false
    /// How often this node announces its skills, capacity and load to every peer, in ms. Default 30000.
    public var announceIntervalMs = 30_000
    /// A peer's announced skills are forgotten when nothing was heard from it for this long, in ms.
    /// Default 90000 (three announcements).
    public var skillExpiryMs = 90_000
    /// Routing weights (docs/ROUTING.md): trust, skill rating, latency, spare capacity, recency.
    /// Defaults 0.25, 0.30, 0.15, 0.25, 0.05. Only their ratios matter.
    public var routingWeightTrust = 0.25
    public var routingWeightRating = 0.30
    public var routingWeightLatency = 0.15
    public var routingWeightLoad = 0.25
    public var routingWeightRecency = 0.05
    /// Node IDs (64 hex digits) this node pre-trusts, besides the bootstrap entries that pin a key.
    /// Default: none.
    public var trustedPeers: [String] = []
    /// How often trust is recomputed and this node's TrustReport sent to its peers, in ms. Default 30000.
    public var trustIntervalMs = 30_000
    /// Weight of the pre-trusted peers in each trust step (EigenTrust's a), 0-1. Default 0.15.
    public var trustPreTrustWeight = 0.15
    /// Time for experience to lose half its weight in trust, in ms. Default 3600000 (1 hour).
    public var experienceHalfLifeMs = 3_600_000
    /// Retries of a task after its first attempt fails (refused, no ack, connection lost, the
    /// executor's own failure). Default 3.
    public var maxRetries = 3
    /// First and longest wait before a retry, in ms (doubling per retry, full jitter). Default 50 / 2000.
    public var retryBackoffBaseMs = 50
    public var retryBackoffMaxMs = 2_000
    /// Time a peer has to ack a task before it is tried elsewhere, in ms, until enough of its acks
    /// are known to derive one (3 × their p95, within 250 ms-10 s). Default 2000.
    public var ackTimeoutMs = 2_000
    /// Failures in a row after which a peer gets no work for `circuitCooldownMs`, then one trial
    /// task. Defaults 5 and 30000.
    public var circuitFailureThreshold = 5
    public var circuitCooldownMs = 30_000
    /// Tasks waiting at most, per priority class (critical, high, normal, low): this node's own
    /// tasks waiting for a node with room (a submission beyond its class's bound is refused as
    /// `queue_full`), and, separately, the tasks waiting for a local slot. Defaults 256, 1024,
    /// 4096, 4096.
    public var queueBoundCritical = 256
    public var queueBoundHigh = 1_024
    public var queueBoundNormal = 4_096
    public var queueBoundLow = 4_096
    /// A waiting task counts one priority class higher for every this many ms it has waited, so
    /// low-priority work is never starved. Default 10000.
    public var queueAgingIntervalMs = 10_000
    /// Least trust (0-1) a peer needs for this node to run its tasks; others are refused as
    /// untrusted. Default 0: every peer.
    public var admissionMinTrust = 0.0
    /// Task requests per second one peer may send (bursts up to twice as many); above it they are
    /// refused as busy. Default 200.
    public var requesterRatePerSecond = 200
    /// How long the result of a task submitted as cacheable is reused for an identical one (same
    /// skill and input), in ms. Default 60000.
    public var resultCacheWindowMs = 60_000
    /// Where to serve the Prometheus text endpoint (`GET /metrics`), e.g. `127.0.0.1:9464`; a
    /// loopback address only. Default: none (not served).
    public var metricsListen: HostPort? = nil
    /// How often the metrics snapshot is written to `DIR/metrics.json`, in ms. Default 60000.
    public var metricsSnapshotIntervalMs = 60_000
    /// The least share of a provider's results that is verified by running the task once more on
    /// another node (or this one), however long its record, 0-1 (docs/ROUTING.md, section 5).
    /// Newer providers are checked more often (``verifyProbation``). Default 0.05.
    public var spotCheckFraction = 0.05
    /// Confirmed results of a (provider, skill) before its results are checked less than always;
    /// after that, the share checked is verifyProbation / (confirmed + 1), down to
    /// spotCheckFraction. 0-1000; default 3.
    public var verifyProbation = 3
    /// Runs a task may take beyond its replicas and its check to settle a disagreement
    /// (tie-breakers). 0-5; default 2.
    public var verifyTieBreakers = 2
    /// Share of routing decisions that go to a novice provider (fewer than 5 rated outcomes for
    /// the skill) instead of the best-ranked node, so that a newcomer is tried, 0-1. Default 0.02:
    /// each exploring task goes to a provider on probation, so it is checked (docs/ROUTING.md,
    /// section 4, for what the share costs).
    public var explorationShare = 0.02
    /// After a restart, how long a resumed task waits for a node that serves its skill to
    /// (re)appear before it fails as having no provider, in ms (within the task's own deadline).
    /// Default 15000: time for the peers to reconnect and announce their skills.
    public var recoveryWaitMs = 15_000
    /// At SIGTERM, how long running tasks get to finish before the rest is handed back (the node's
    /// own tasks stay journaled for the next start; peers' tasks go back to their requesters), in
    /// ms. Default 10000.
    public var drainTimeoutMs = 10_000
    /// How often what the node learnt of its peers (experience, convictions, circuit breakers) is
    /// saved to the store, in ms; a graceful stop saves it too. Default 60000.
    public var reputationSaveIntervalMs = 60_000
    /// ConvictionEvidence messages one peer may send per minute (bursts up to as many); beyond it
    /// they are dropped and counted. This node sends each peer no more than this either. Default 10.
    public var evidencePerPeerPerMinute = 10
    /// Shared evidence remembered, as (accused, requester, task) — each is judged, forwarded and
    /// re-run once — the oldest forgotten first. Default 64.
    public var evidenceMemory = 64

    public static let `default` = NodeSettings()

    /// The largest maxTaskBytes allowed: its base64 form (4/3 larger) must fit in one local API line.
    public static let maxTaskBytesLimit = 2 << 20

    enum CodingKeys: String, CodingKey, CaseIterable {
        case listen, networkID, bootstrapFile, skills, skillCommands, maxConcurrentTasks, maxQueuedTasks, defaultTaskTimeoutMs
        case maxTaskTimeoutMs, handshakeTimeoutMs, maxPendingHandshakes, maxMessagesPerSecond, replayWindowMs
        case replayCacheEntries, pingIntervalMs, pingTimeoutMs, suspectAfterMissedPings, suspicionTimeoutMs
        case maxInboundConnections, maxConnections, maxConnectionsPerIP, connectionHighWatermark
        case targetOutboundConnections, peerExchangeIntervalMs, peerRecordMaxAgeMs, connectTimeoutMs, dialBackoffBaseMs
        case dialBackoffMaxMs
        case maxFrameBytes, maxTaskBytes, logLevel
        case announceIntervalMs, skillExpiryMs, routingWeightTrust, routingWeightRating, routingWeightLatency, routingWeightLoad
        case routingWeightRecency, trustedPeers, trustIntervalMs, trustPreTrustWeight, experienceHalfLifeMs, spotCheckFraction
        case maxRetries, retryBackoffBaseMs, retryBackoffMaxMs, ackTimeoutMs, circuitFailureThreshold, circuitCooldownMs
        case queueBoundCritical, queueBoundHigh, queueBoundNormal, queueBoundLow, queueAgingIntervalMs
        case admissionMinTrust, requesterRatePerSecond, resultCacheWindowMs, metricsListen, metricsSnapshotIntervalMs
        case recoveryWaitMs, drainTimeoutMs, reputationSaveIntervalMs, verifyProbation, verifyTieBreakers, explorationShare
        case evidencePerPeerPerMinute, evidenceMemory, maxLocalConnections, banThreshold, misbehaviourHalfLifeMs, firstBanMs, maxBanMs
    }

    public init() {}

    /// Memory a task waiting in this node's queues holds, about: 9,314 bytes each with 50,000
    /// waiting, 8,786 with 10,000 (release build, RSS over a node with one busy slot, 2026-12-03;
    /// docs/BENCHMARKS.md, "Memory per waiting task"). Used to check the queue bounds.
    public static let bytesPerWaitingTask = 9_400

    /// Checks every setting against this machine's memory; the error names the setting and the
    /// range it must be in.
    public func validate() throws(GridError) {
        try validate(physicalMemory: ProcessInfo.processInfo.physicalMemory)
    }

    /// The most tasks the queues may hold waiting: the four class bounds and `maxQueuedTasks`.
    public var queueCapacity: Int {
        queueBoundCritical + queueBoundHigh + queueBoundNormal + queueBoundLow + maxQueuedTasks
    }

    /// Checks every setting; the queue bounds against `physicalMemory` bytes: full queues may take
    /// at most half of it (``bytesPerWaitingTask`` each, inputs not counted).
    public func validate(physicalMemory: UInt64) throws(GridError) {
        func check(_ ok: Bool, _ message: @autoclosure () -> String) throws(GridError) {
            if !ok { throw GridError(.invalidSetting, message()) }
        }
        try check((1...1024).contains(maxConcurrentTasks), "maxConcurrentTasks is \(maxConcurrentTasks); use 1-1024")
        try check((0...100_000).contains(maxQueuedTasks), "maxQueuedTasks is \(maxQueuedTasks); use 0-100000")
        try check((1...86_400_000).contains(maxTaskTimeoutMs), "maxTaskTimeoutMs is \(maxTaskTimeoutMs); use 1-86400000")
        try check(
            (1...maxTaskTimeoutMs).contains(defaultTaskTimeoutMs),
            "defaultTaskTimeoutMs is \(defaultTaskTimeoutMs); use 1 up to maxTaskTimeoutMs (\(maxTaskTimeoutMs))")
        try check((100...600_000).contains(handshakeTimeoutMs), "handshakeTimeoutMs is \(handshakeTimeoutMs); use 100-600000")
        try check((1...10_000).contains(maxPendingHandshakes), "maxPendingHandshakes is \(maxPendingHandshakes); use 1-10000")
        try check((1...10_000).contains(maxLocalConnections), "maxLocalConnections is \(maxLocalConnections); use 1-10000")
        try check((1...1_000_000).contains(maxMessagesPerSecond), "maxMessagesPerSecond is \(maxMessagesPerSecond); use 1-1000000")
        try check((1...1_000_000).contains(banThreshold), "banThreshold is \(banThreshold); use 1-1000000")
        try check(
            (1_000...86_400_000).contains(misbehaviourHalfLifeMs), "misbehaviourHalfLifeMs is \(misbehaviourHalfLifeMs); use 1000-86400000")
        try check((1_000...86_400_000).contains(firstBanMs), "firstBanMs is \(firstBanMs); use 1000-86400000")
        try check(
            (firstBanMs...604_800_000).contains(maxBanMs), "maxBanMs is \(maxBanMs); use firstBanMs (\(firstBanMs)) up to 604800000")
        try check((1_000...3_600_000).contains(replayWindowMs), "replayWindowMs is \(replayWindowMs); use 1000-3600000")
        try check((1_000...10_000_000).contains(replayCacheEntries), "replayCacheEntries is \(replayCacheEntries); use 1000-10000000")
        try check(
            (1...64).contains(networkID.utf8.count) && (try? SkillID(networkID)) != nil,
            "networkID is '\(networkID)'; use 1-64 characters: a lower-case letter or digit, then a-z, 0-9, '.', '_' or '-'")
        try check((10...3_600_000).contains(pingIntervalMs), "pingIntervalMs is \(pingIntervalMs); use 10-3600000")
        try check((10...3_600_000).contains(pingTimeoutMs), "pingTimeoutMs is \(pingTimeoutMs); use 10-3600000")
        try check((1...100).contains(suspectAfterMissedPings), "suspectAfterMissedPings is \(suspectAfterMissedPings); use 1-100")
        try check((10...3_600_000).contains(suspicionTimeoutMs), "suspicionTimeoutMs is \(suspicionTimeoutMs); use 10-3600000")
        try check((1...100_000).contains(maxConnections), "maxConnections is \(maxConnections); use 1-100000")
        try check((0...maxConnections).contains(maxInboundConnections), "maxInboundConnections is \(maxInboundConnections); use 0 up to maxConnections (\(maxConnections))")
        try check((1...maxConnections).contains(maxConnectionsPerIP), "maxConnectionsPerIP is \(maxConnectionsPerIP); use 1 up to maxConnections (\(maxConnections))")
        try check(
            (1...maxConnections).contains(connectionHighWatermark),
            "connectionHighWatermark is \(connectionHighWatermark); use 1 up to maxConnections (\(maxConnections))")
        try check((0...1000).contains(targetOutboundConnections), "targetOutboundConnections is \(targetOutboundConnections); use 0-1000")
        try check((10...86_400_000).contains(peerExchangeIntervalMs), "peerExchangeIntervalMs is \(peerExchangeIntervalMs); use 10-86400000")
        try check((1_000...604_800_000).contains(peerRecordMaxAgeMs), "peerRecordMaxAgeMs is \(peerRecordMaxAgeMs); use 1000-604800000")
        try check((100...600_000).contains(connectTimeoutMs), "connectTimeoutMs is \(connectTimeoutMs); use 100-600000")
        try check((1...3_600_000).contains(dialBackoffBaseMs), "dialBackoffBaseMs is \(dialBackoffBaseMs); use 1-3600000")
        try check(
            (dialBackoffBaseMs...3_600_000).contains(dialBackoffMaxMs),
            "dialBackoffMaxMs is \(dialBackoffMaxMs); use dialBackoffBaseMs (\(dialBackoffBaseMs)) up to 3600000")
        try check((64 << 10...64 << 20).contains(maxFrameBytes), "maxFrameBytes is \(maxFrameBytes); use 65536-67108864")
        try check(
            (1...min(maxFrameBytes - 4096, Self.maxTaskBytesLimit)).contains(maxTaskBytes),
            "maxTaskBytes is \(maxTaskBytes); use 1 up to \(min(maxFrameBytes - 4096, Self.maxTaskBytesLimit)) so a task fits in a frame and, in base64, in a local API line")
        try check(Logger.Level(rawValue: logLevel) != nil, "logLevel is '\(logLevel)'; use trace, debug, info, notice, warning, error or critical")
        try check((10...86_400_000).contains(announceIntervalMs), "announceIntervalMs is \(announceIntervalMs); use 10-86400000")
        try check(
            (announceIntervalMs...604_800_000).contains(skillExpiryMs),
            "skillExpiryMs is \(skillExpiryMs); use announceIntervalMs (\(announceIntervalMs)) up to 604800000, ideally 3 × announceIntervalMs")
        do { _ = try routingWeights.validated() } catch { throw GridError(.invalidSetting, error.message) }
        for key in trustedPeers {
            try check(
                (try? NodeID(hex: key)) != nil, "trustedPeers entry '\(key)' is not a node ID; use the 64 hex digits `gridnode id` prints")
        }
        try check((10...86_400_000).contains(trustIntervalMs), "trustIntervalMs is \(trustIntervalMs); use 10-86400000")
        try check((0...1).contains(trustPreTrustWeight), "trustPreTrustWeight is \(trustPreTrustWeight); use 0-1")
        try check((1_000...31_536_000_000).contains(experienceHalfLifeMs), "experienceHalfLifeMs is \(experienceHalfLifeMs); use 1000-31536000000")
        try check((0...1).contains(spotCheckFraction), "spotCheckFraction is \(spotCheckFraction); use 0-1")
        try check((0...1000).contains(verifyProbation), "verifyProbation is \(verifyProbation); use 0-1000")
        try check((0...5).contains(verifyTieBreakers), "verifyTieBreakers is \(verifyTieBreakers); use 0-5")
        try check((0...1).contains(explorationShare), "explorationShare is \(explorationShare); use 0-1")
        try check((0...20).contains(maxRetries), "maxRetries is \(maxRetries); use 0-20")
        try check((1...600_000).contains(retryBackoffBaseMs), "retryBackoffBaseMs is \(retryBackoffBaseMs); use 1-600000")
        try check(
            (retryBackoffBaseMs...600_000).contains(retryBackoffMaxMs),
            "retryBackoffMaxMs is \(retryBackoffMaxMs); use retryBackoffBaseMs (\(retryBackoffBaseMs)) up to 600000")
        try check((10...600_000).contains(ackTimeoutMs), "ackTimeoutMs is \(ackTimeoutMs); use 10-600000")
        try check((1...1000).contains(circuitFailureThreshold), "circuitFailureThreshold is \(circuitFailureThreshold); use 1-1000")
        try check((100...86_400_000).contains(circuitCooldownMs), "circuitCooldownMs is \(circuitCooldownMs); use 100-86400000")
        for (name, bound) in [
            ("queueBoundCritical", queueBoundCritical), ("queueBoundHigh", queueBoundHigh), ("queueBoundNormal", queueBoundNormal),
            ("queueBoundLow", queueBoundLow),
        ] {
            try check((0...1_000_000).contains(bound), "\(name) is \(bound); use 0-1000000")
        }
        let queueBytes = UInt64(queueCapacity) * UInt64(Self.bytesPerWaitingTask)
        try check(
            physicalMemory == 0 || queueBytes <= physicalMemory / 2,
            "the queue bounds (queueBoundCritical \(queueBoundCritical), queueBoundHigh \(queueBoundHigh), queueBoundNormal \(queueBoundNormal), queueBoundLow \(queueBoundLow), maxQueuedTasks \(maxQueuedTasks)) let \(queueCapacity) tasks wait at once: at about \(Self.bytesPerWaitingTask) bytes each that is \(Self.mebibytes(queueBytes)) MiB, more than half of this machine's \(Self.mebibytes(physicalMemory)) MiB of memory; lower them")
        try check((1_000...86_400_000).contains(metricsSnapshotIntervalMs), "metricsSnapshotIntervalMs is \(metricsSnapshotIntervalMs); use 1000-86400000")
        if let metricsListen {
            try check(
                ["127.0.0.1", "::1", "localhost"].contains(metricsListen.host),
                "metricsListen is \(metricsListen); serve metrics on a loopback address (127.0.0.1 or [::1]), and scrape through a proxy if needed")
        }
        try check(
            (1_000...86_400_000).contains(reputationSaveIntervalMs),
            "reputationSaveIntervalMs is \(reputationSaveIntervalMs); use 1000-86400000")
        try check((0...600_000).contains(drainTimeoutMs), "drainTimeoutMs is \(drainTimeoutMs); use 0 (hand back at once) to 600000")
        try check((1...10_000).contains(evidencePerPeerPerMinute), "evidencePerPeerPerMinute is \(evidencePerPeerPerMinute); use 1-10000")
        try check((1...100_000).contains(evidenceMemory), "evidenceMemory is \(evidenceMemory); use 1-100000")
        try check((0...3_600_000).contains(recoveryWaitMs), "recoveryWaitMs is \(recoveryWaitMs); use 0 (fail at once) to 3600000")
        try check((0...86_400_000).contains(resultCacheWindowMs), "resultCacheWindowMs is \(resultCacheWindowMs); use 0 (no reuse) to 86400000")
        try check((0...1).contains(admissionMinTrust), "admissionMinTrust is \(admissionMinTrust); use 0-1")
        try check((1...1_000_000).contains(requesterRatePerSecond), "requesterRatePerSecond is \(requesterRatePerSecond); use 1-1000000")
        try check((0...86_400_000).contains(queueAgingIntervalMs), "queueAgingIntervalMs is \(queueAgingIntervalMs); use 0 (no aging) to 86400000")
        for name in skills {
            let skill = try SkillID(name)
            try check(
                BuiltinSkills.all[skill] != nil,
                "skill '\(name)' is not a built-in skill; available: \(BuiltinSkills.names.joined(separator: ", "))")
        }
        try validateSkillCommands()
    }

    private static func mebibytes(_ bytes: UInt64) -> UInt64 { bytes >> 20 }

    public var logLevelValue: Logger.Level { Logger.Level(rawValue: logLevel) ?? .info }

    public var connectionLimits: ConnectionLimits {
        var limits = ConnectionLimits()
        limits.maxInbound = maxInboundConnections
        limits.maxTotal = maxConnections
        limits.maxPerIP = maxConnectionsPerIP
        limits.highWatermark = connectionHighWatermark
        return limits
    }

    public var misbehaviour: MisbehaviourSettings {
        var settings = MisbehaviourSettings()
        settings.banThreshold = Double(banThreshold)
        settings.halfLifeMs = Int64(misbehaviourHalfLifeMs)
        settings.firstBanMs = Int64(firstBanMs)
        settings.maxBanMs = Int64(maxBanMs)
        return settings
    }

    public var liveness: LivenessSettings {
        var liveness = LivenessSettings()
        liveness.pingInterval = .milliseconds(pingIntervalMs)
        liveness.pingTimeout = .milliseconds(pingTimeoutMs)
        liveness.suspectAfterMissed = suspectAfterMissedPings
        liveness.suspicionTimeout = .milliseconds(suspicionTimeoutMs)
        return liveness
    }
    public var skillIDs: Set<SkillID> { Set(skills.compactMap { try? SkillID($0) }) }

    public var routingWeights: RoutingWeights {
        RoutingWeights(
            trust: routingWeightTrust, rating: routingWeightRating, latency: routingWeightLatency, load: routingWeightLoad,
            recency: routingWeightRecency)
    }

    public var registrySettings: SkillRegistry.Settings {
        SkillRegistry.Settings(expiry: .milliseconds(skillExpiryMs))
    }

    public var experienceSettings: Experience.Settings {
        Experience.Settings(halfLife: .milliseconds(experienceHalfLifeMs))
    }

    public var admissionSettings: AdmissionControl.Settings {
        AdmissionControl.Settings(
            minTrust: admissionMinTrust, ratePerRequester: Double(max(requesterRatePerSecond, 1)),
            burst: Double(max(requesterRatePerSecond, 1) * 2))
    }

    public var queueSettings: TaskQueueSettings {
        TaskQueueSettings(
            bounds: [.critical: queueBoundCritical, .high: queueBoundHigh, .normal: queueBoundNormal, .low: queueBoundLow],
            agingInterval: .milliseconds(queueAgingIntervalMs))
    }

    public var circuitBreakerSettings: CircuitBreakers.Settings {
        CircuitBreakers.Settings(failureThreshold: max(circuitFailureThreshold, 1), cooldown: .milliseconds(max(circuitCooldownMs, 1)))
    }

    public var retryPolicy: RetryPolicy {
        RetryPolicy(
            maxRetries: maxRetries,
            backoff: ExponentialBackoff(base: .milliseconds(retryBackoffBaseMs), cap: .milliseconds(max(retryBackoffMaxMs, retryBackoffBaseMs))),
            ackTimeout: .milliseconds(ackTimeoutMs))
    }

    public var verificationPolicy: VerificationPolicy {
        VerificationPolicy(probation: verifyProbation, floor: spotCheckFraction, maxTieBreakers: verifyTieBreakers)
    }

    /// The node IDs in `trustedPeers` (validated).
    public var trustedPeerIDs: Set<NodeID> { Set(trustedPeers.compactMap { try? NodeID(hex: $0) }) }
}

extension GridError.Code {
    public static let invalidSetting = Self("config.invalid_setting")
    public static let unreadableConfig = Self("config.unreadable")
}
