/// The faults a test node is told to inject (`gridnode run --allow-faults`, set over the local API
/// by `gridnode cluster fault`): which peers it is cut off from, how its links behave, and how its
/// executor misbehaves. The empty plan, ``none``, is a healthy node. Pure: the shell asks it what
/// to do with each frame, connection and run (``frameOut(using:)``, ``dropsIncoming(using:)``,
/// ``executorFault(for:)``) and carries that out.
public struct FaultPlan: Codable, Sendable, Equatable {
    /// Peers (node IDs, hex) this node is partitioned from: no connection either way, no frame.
    public var partitionedFrom: Set<String>
    /// Added to every frame this node sends to a peer, in milliseconds; frames keep their order.
    public var delayMs: Int
    /// Each frame's delay is `delayMs` plus a uniform share of ± `jitterMs`, never below zero.
    public var jitterMs: Int
    /// The share (0-1) of frames from peers this node drops after reading them.
    public var dropShare: Double
    /// Skills whose results this node falsifies: correctly signed, wrong output.
    public var lyingSkills: Set<String>
    /// Skills whose runs never answer here (until the fault is healed or the task ends).
    public var stalledSkills: Set<String>
    /// Added before every run on this node's executor, in milliseconds: a slow machine.
    public var slowMs: Int
    /// Refuse every new peer connection (inbound: closed at once; outbound: not dialled).
    public var refuseConnections: Bool

    public init(
        partitionedFrom: Set<String> = [], delayMs: Int = 0, jitterMs: Int = 0, dropShare: Double = 0, lyingSkills: Set<String> = [],
        stalledSkills: Set<String> = [], slowMs: Int = 0, refuseConnections: Bool = false
    ) {
        self.partitionedFrom = partitionedFrom
        self.delayMs = delayMs
        self.jitterMs = jitterMs
        self.dropShare = dropShare
        self.lyingSkills = lyingSkills
        self.stalledSkills = stalledSkills
        self.slowMs = slowMs
        self.refuseConnections = refuseConnections
    }

    /// A healthy node.
    public static let none = FaultPlan()

    public var isEmpty: Bool { self == .none }

    /// The longest delay, jitter or slow-down a plan may set: one minute.
    public static let maxDelayMs = 60_000
    /// The most peers a plan may be partitioned from, and the most skills it may name per list.
    public static let maxEntries = 1_024

    /// Refuses a plan a node cannot carry out, saying which field is wrong and what is allowed.
    public func validate() throws(GridError) {
        func check(_ ok: Bool, _ message: String) throws(GridError) {
            if !ok { throw GridError(.invalidFault, message) }
        }
        try check((0...Self.maxDelayMs).contains(delayMs), "delayMs is \(delayMs); use 0-\(Self.maxDelayMs)")
        try check((0...Self.maxDelayMs).contains(jitterMs), "jitterMs is \(jitterMs); use 0-\(Self.maxDelayMs)")
        try check((0...Self.maxDelayMs).contains(slowMs), "slowMs is \(slowMs); use 0-\(Self.maxDelayMs)")
        try check(dropShare >= 0 && dropShare <= 1, "dropShare is \(dropShare); use a share from 0 to 1")
        for (name, list) in [("partitionedFrom", partitionedFrom), ("lyingSkills", lyingSkills), ("stalledSkills", stalledSkills)] {
            try check(list.count <= Self.maxEntries, "\(name) has \(list.count) entries; at most \(Self.maxEntries)")
        }
        for peer in partitionedFrom {
            do { _ = try NodeID(hex: peer) } catch { throw GridError(.invalidFault, "partitionedFrom: '\(peer)' is not a node ID (64 hex digits)") }
        }
        for skill in lyingSkills.union(stalledSkills) {
            do { _ = try SkillID(skill) } catch { throw GridError(.invalidFault, "'\(skill)' is not a skill name: \(error.message)") }
        }
    }

    /// Whether this node is cut off from `peer`.
    public func isPartitioned(from peer: NodeID) -> Bool {
        !partitionedFrom.isEmpty && partitionedFrom.contains(peer.hex)
    }

    /// What happens to one frame this node sends: how long it is held back before it goes out.
    public func frameOut(using random: inout some RandomNumberGenerator) -> Duration {
        guard delayMs > 0 || jitterMs > 0 else { return .zero }
        let jitter = jitterMs > 0 ? Int.random(in: -jitterMs...jitterMs, using: &random) : 0
        return .milliseconds(max(0, delayMs + jitter))
    }

    /// Whether one frame read from a peer is dropped.
    public func dropsIncoming(using random: inout some RandomNumberGenerator) -> Bool {
        guard dropShare > 0 else { return false }
        return dropShare >= 1 || Double.random(in: 0..<1, using: &random) < dropShare
    }

    /// What the executor does to one run of `skill`.
    public struct ExecutorFault: Equatable, Sendable {
        /// Held back this long before the run starts.
        public var delay: Duration
        /// The run never answers.
        public var stalls: Bool
        /// A successful run's output is replaced by ``falsified(_:)``.
        public var lies: Bool

        public init(delay: Duration, stalls: Bool, lies: Bool) {
            self.delay = delay
            self.stalls = stalls
            self.lies = lies
        }
    }

    public func executorFault(for skill: SkillID) -> ExecutorFault {
        ExecutorFault(
            delay: .milliseconds(slowMs), stalls: stalledSkills.contains(skill.name), lies: lyingSkills.contains(skill.name))
    }

    /// The wrong output a lying skill returns for `output`: the same for the same output (so that
    /// two liars agree), never equal to it.
    public static func falsified(_ output: [UInt8]) -> [UInt8] {
        output.isEmpty ? [0x21] : output.map { $0 ^ 0x5A }
    }

    /// The names of the faults in effect, for status tables: `partition(2) delay(50±10ms) lie(sha256)`.
    public var summary: String {
        var parts: [String] = []
        if !partitionedFrom.isEmpty { parts.append("partition(\(partitionedFrom.count))") }
        if delayMs > 0 || jitterMs > 0 { parts.append(jitterMs > 0 ? "delay(\(delayMs)±\(jitterMs)ms)" : "delay(\(delayMs)ms)") }
        if dropShare > 0 { parts.append("drop(\(Int((dropShare * 100).rounded()))%)") }
        if !lyingSkills.isEmpty { parts.append("lie(\(lyingSkills.sorted().joined(separator: ",")))") }
        if !stalledSkills.isEmpty { parts.append("stall(\(stalledSkills.sorted().joined(separator: ",")))") }
        if slowMs > 0 { parts.append("slow(\(slowMs)ms)") }
        if refuseConnections { parts.append("refuse") }
        return parts.isEmpty ? "-" : parts.joined(separator: " ")
    }
}

extension FaultPlan {
    private enum CodingKeys: String, CodingKey {
        case partitionedFrom, delayMs, jitterMs, dropShare, lyingSkills, stalledSkills, slowMs, refuseConnections
    }

    /// Every field is optional on input: what is left out is healthy.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            partitionedFrom: try c.decodeIfPresent(Set<String>.self, forKey: .partitionedFrom) ?? [],
            delayMs: try c.decodeIfPresent(Int.self, forKey: .delayMs) ?? 0,
            jitterMs: try c.decodeIfPresent(Int.self, forKey: .jitterMs) ?? 0,
            dropShare: try c.decodeIfPresent(Double.self, forKey: .dropShare) ?? 0,
            lyingSkills: try c.decodeIfPresent(Set<String>.self, forKey: .lyingSkills) ?? [],
            stalledSkills: try c.decodeIfPresent(Set<String>.self, forKey: .stalledSkills) ?? [],
            slowMs: try c.decodeIfPresent(Int.self, forKey: .slowMs) ?? 0,
            refuseConnections: try c.decodeIfPresent(Bool.self, forKey: .refuseConnections) ?? false)
    }
}

extension GridError.Code {
    public static let invalidFault = Self("fault.invalid")
    public static let faultsNotAllowed = Self("fault.not_allowed")
}
