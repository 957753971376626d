import GridCore

/// The local API's methods, their parameters and their results (Protocol/local-api.md).
public enum LocalAPI {
    /// The socket's file name inside the data directory.
    public static let socketFileName = "gridnode.sock"
    /// Longest request or response line, in bytes (a 1 MiB input in base64 fits with room to spare).
    public static let maxLineBytes = 4 << 20

    public enum Method: String, Sendable, CaseIterable {
        case taskSubmit = "task.submit"
        case taskGet = "task.get"
        case taskCancel = "task.cancel"
        case peersList = "peers.list"
        case peersAdd = "peers.add"
        case peersBan = "peers.ban"
        case peersUnban = "peers.unban"
        case peersRemove = "peers.remove"
        case nodeInfo = "node.info"
        case nodeMetrics = "node.metrics"
        case peersEvidence = "peers.evidence"
        case routeExplain = "route.explain"
        case skillServe = "skill.serve"
        case skillUnserve = "skill.unserve"
        case taskProgress = "task.progress"
        case taskWatch = "task.watch"
        case taskList = "task.list"
        case taskWait = "task.wait"
        /// Test grids only (`gridnode run --allow-faults`): the faults the node injects.
        case faultsGet = "faults.get"
        case faultsSet = "faults.set"
    }
}

/// `task.submit` parameters. Give the input as `input` (UTF-8 text) or `inputBase64`, not both.
public struct SubmitParams: Codable, Sendable, Equatable {
    public var skill: String
    public var input: String?
    public var inputBase64: String?
    /// Wait for the result (default false: return as soon as the task is accepted).
    public var wait: Bool?
    /// How long the task may take, in milliseconds (default and maximum: the node's settings).
    public var timeoutMs: Int?
    /// 0-255 (default 96, normal).
    public var priority: Int?
    /// Run on this many distinct nodes and accept the output a strict majority agrees on (1-7,
    /// default 1).
    public var replicas: Int?
    /// The least trust (0-1) an executor must have (default 0: any node).
    public var minTrust: Double?
    /// The output depends only on skill and input: an identical cacheable task within the node's
    /// `resultCacheWindowMs` reuses this result, or joins this task while it runs. Default false.
    public var cacheable: Bool?
    /// Retry an application error (the skill ran and said no) like a transient failure. Default false.
    public var retryApplicationErrors: Bool?
    /// `sample` (default: the node checks a share of results on another node, after delivering
    /// them), `strict` (no result before a second run agrees) or `off`.
    public var verify: String?
    /// With `wait`: send the task's `task.event` notifications on this connection until it ends.
    public var events: Bool?
    /// 1-128 characters: a second submit with the same key and the same request gets the first
    /// task back instead of a new one (a different request with the key is an error).
    public var idempotencyKey: String?

    public init(skill: String, input: String? = nil, inputBase64: String? = nil, wait: Bool? = nil,
                timeoutMs: Int? = nil, priority: Int? = nil, replicas: Int? = nil, minTrust: Double? = nil, cacheable: Bool? = nil,
                retryApplicationErrors: Bool? = nil, idempotencyKey: String? = nil, events: Bool? = nil, verify: String? = nil) {
        self.events = events
        self.verify = verify
        self.skill = skill
        self.input = input
        self.inputBase64 = inputBase64
        self.wait = wait
        self.timeoutMs = timeoutMs
        self.priority = priority
        self.replicas = replicas
        self.minTrust = minTrust
        self.cacheable = cacheable
        self.retryApplicationErrors = retryApplicationErrors
        self.idempotencyKey = idempotencyKey
    }
}

/// `task.get` parameters.
public struct TaskGetParams: Codable, Sendable, Equatable {
    public var taskId: String
    public init(taskId: String) { self.taskId = taskId }
}

/// `peers.add` parameters: dial `address` and keep dialling it; with `nodeId`, only that node may
/// answer there, and it is pinned in the address book at once.
public struct PeerAddParams: Codable, Sendable, Equatable {
    public var address: String
    public var nodeId: String?
    public init(address: String, nodeId: String? = nil) {
        self.address = address
        self.nodeId = nodeId
    }
}

/// `peers.ban` parameters: never dial or accept `nodeId` again; it is disconnected at once.
public struct PeerBanParams: Codable, Sendable, Equatable {
    public var nodeId: String
    public var reason: String?
    public init(nodeId: String, reason: String? = nil) {
        self.nodeId = nodeId
        self.reason = reason
    }
}

/// `peers.remove` parameters: exactly one of `nodeId` (that peer) and `address` (every peer listed there).
public struct PeerRemoveParams: Codable, Sendable, Equatable {
    public var nodeId: String?
    public var address: String?
    public init(nodeId: String? = nil, address: String? = nil) {
        self.nodeId = nodeId
        self.address = address
    }
}

/// The answer to `peers.add`, `peers.ban`, `peers.unban` and `peers.remove`.
public struct PeerActionResult: Codable, Sendable, Equatable {
    public var done: String
    public init(done: String) { self.done = done }
}

/// A task as the API shows it. Exactly one of `output` (when the output is valid UTF-8) and
/// `outputBase64` is present on success; `error` on failure.
public struct TaskView: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case running, succeeded, failed
    }

    public struct Failure: Codable, Sendable, Equatable {
        public var code: String
        public var message: String
        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    public var taskId: String
    public var skill: String
    public var status: Status
    /// Milliseconds since the Unix epoch.
    public var submittedAtMs: Int64
    public var finishedAtMs: Int64?
    /// Node ID of the node that produced the outcome.
    public var executor: String?
    public var output: String?
    public var outputBase64: String?
    public var error: Failure?
    /// Every try on a node, in order, once the task has ended (absent while it runs).
    public var attempts: [Attempt]?

    /// One try of the task on one node.
    public struct Attempt: Codable, Sendable, Equatable {
        public var nodeId: String
        /// Which replica it was for (0 unless the task has replicas).
        public var replica: Int
        /// How it went: "succeeded", "failed: <code>", "refused: <reason>", "connection lost",
        /// "no ack within …", "timed out", "cancelled".
        public var outcome: String
        public var latencyMs: Double?

        public init(nodeId: String, replica: Int, outcome: String, latencyMs: Double?) {
            self.nodeId = nodeId
            self.replica = replica
            self.outcome = outcome
            self.latencyMs = latencyMs
        }
    }

    public init(taskId: String, skill: String, status: Status, submittedAtMs: Int64, finishedAtMs: Int64? = nil,
                executor: String? = nil, output: String? = nil, outputBase64: String? = nil, error: Failure? = nil,
                attempts: [Attempt]? = nil) {
        self.taskId = taskId
        self.skill = skill
        self.status = status
        self.submittedAtMs = submittedAtMs
        self.finishedAtMs = finishedAtMs
        self.executor = executor
        self.output = output
        self.outputBase64 = outputBase64
        self.error = error
        self.attempts = attempts
    }
}

/// One connected peer, as `peers.list` shows it.
public struct PeerView: Codable, Sendable, Equatable {
    public var nodeId: String
    /// The address the connection runs over ("host:port").
    public var address: String
    /// Where the peer accepts connections, as it said in its handshake; may be empty.
    public var listenAddress: String
    /// "outbound" (this node dialled) or "inbound".
    public var direction: String
    public var skills: [String]
    /// The subset of `skills` the peer announced as deterministic (their results may be compared
    /// with other nodes'), sorted; absent where `skills` is empty.
    public var deterministicSkills: [String]?
    public var connectedAtMs: Int64
    /// Times this peer broke a protocol rule (bad signature, replay, rate limit...) since this node started.
    public var misbehaviour: Int
    /// The peer's misbehaviour score now (each offence adds its points; it halves every
    /// `misbehaviourHalfLifeMs`; at `banThreshold` the peer is banned); absent when 0.
    public var misbehaviourScore: Double?
    /// When the peer's ban ends (ms since the Unix epoch); absent when it is not banned, and for a
    /// ban by the operator, which has no end.
    public var bannedUntilMs: Int64?
    /// "alive", "suspect" (missed pings), "connecting" (a dial in progress; nodeId empty when the
    /// key is not known yet), "dead" (died or left in the last 10 minutes; no longer connected) or
    /// "banned" (by the operator, or for misbehaviour until `bannedUntilMs`; not connected).
    public var state: String
    /// Smoothed ping round-trip time in milliseconds; absent until the first pong.
    public var rttMs: Double?
    /// When the peer was last heard from, milliseconds since the Unix epoch.
    public var lastSeen: Int64
    /// This node's trust in the peer, 0-1 (1: as trusted as the most trusted peer); absent when
    /// the node ID is not known.
    public var trust: Double?
    /// Share of the tasks handed to the peer that succeeded, over the recent window of each skill;
    /// absent before the first.
    public var successRate: Double?
    /// Moving average of the peer's task latency (request to result) in milliseconds; absent
    /// before the first result.
    public var latencyMs: Double?
    /// Outcomes behind `successRate`.
    public var samples: Int
    /// Results of this peer that a spot-check or the replicas' majority showed wrong (evidence kept).
    public var wrongResults: Int

    public init(nodeId: String, address: String, listenAddress: String, direction: String, skills: [String], connectedAtMs: Int64,
                misbehaviour: Int = 0, state: String = "alive", rttMs: Double? = nil, lastSeen: Int64 = 0, trust: Double? = nil,
                successRate: Double? = nil, latencyMs: Double? = nil, samples: Int = 0, wrongResults: Int = 0,
                deterministicSkills: [String]? = nil, misbehaviourScore: Double? = nil, bannedUntilMs: Int64? = nil) {
        self.nodeId = nodeId
        self.address = address
        self.listenAddress = listenAddress
        self.direction = direction
        self.skills = skills
        self.deterministicSkills = deterministicSkills
        self.connectedAtMs = connectedAtMs
        self.misbehaviour = misbehaviour
        self.misbehaviourScore = misbehaviourScore
        self.bannedUntilMs = bannedUntilMs
        self.state = state
        self.rttMs = rttMs
        self.lastSeen = lastSeen
        self.trust = trust
        self.successRate = successRate
        self.latencyMs = latencyMs
        self.samples = samples
        self.wrongResults = wrongResults
    }
}

/// `node.info` result.
public struct NodeInfoView: Codable, Sendable, Equatable {
    public var nodeId: String
    public var listenAddress: String
    public var skills: [String]
    public var peerCount: Int
    /// Messages from peers dropped because their signature was missing or wrong, or they broke the protocol.
    public var droppedMessages: Int
    public var protocolVersion: Int
    /// Connections refused, or failed before their handshake completed, since the node started
    /// (peers' and the local API's); nil from older nodes.
    public var refusedConnections: Int?
    /// Whether the node was started with `--allow-faults` (a test grid's node); nil from older nodes.
    public var faultsAllowed: Bool?
    /// The faults it injects now, when it may (``FaultPlan``; empty when healthy).
    public var faults: FaultPlan?

    public init(
        nodeId: String, listenAddress: String, skills: [String], peerCount: Int, droppedMessages: Int, protocolVersion: Int,
        faultsAllowed: Bool? = nil, faults: FaultPlan? = nil, refusedConnections: Int? = nil
    ) {
        self.refusedConnections = refusedConnections
        self.faultsAllowed = faultsAllowed
        self.faults = faults
        self.nodeId = nodeId
        self.listenAddress = listenAddress
        self.skills = skills
        self.peerCount = peerCount
        self.droppedMessages = droppedMessages
        self.protocolVersion = protocolVersion
    }
}
