/// Whether a peer's shared evidence of a wrong result convicts its accused here. The evidence's
/// structure (signatures, one task, agreeing witnesses that differ from the accused) is checked
/// before (GridWire's `ConvictionEvidenceMessage`); it proves that the accused and the witnesses
/// signed different outputs for one deterministic task, not which of them lied. That is this
/// judge's question, answered from this node's own knowledge alone, never from the messenger's
/// word (docs/ROUTING.md, section 5):
///
/// 1. Evidence against this node itself is ignored (a node never convicts itself).
/// 2. An accused already convicted here is ignored: nothing to learn, and not forwarded again.
/// 3. An accused that announces the skill here as not deterministic is refused: its outputs may
///    differ without a lie, so the sender should not have accused it (counted against the sender).
/// 4. It weighs standing, never trust scores (which colluders vouching for each other
///    inflate): it convicts when at least 2 witnesses are not convicted here, at least one of them
///    has standing here — this node itself, a pinned peer, or a provider with at least
///    `minimumStanding` results of the skill confirmed here by anchored votes
///    (``VerificationPolicy/hasStanding(anchored:pinned:)``) — and the accused has no more: it
///    is not pinned (unless a pinned witness or this node testifies) and has no more confirmed
///    results than that witness. So a crowd of nodes without standing here — fresh identities
///    made to frame someone, or colluders that only ever confirmed each other — proves nothing.
/// 5. When standing does not settle it and this node serves the skill as deterministic itself, it
///    runs the task once (``Decision/rerun``), then ``settle(_:accusedOutput:witnessOutput:ownOutput:)``
///    convicts whoever disagrees with its own output. So a run is spent only on evidence that
///    standing cannot decide.
/// 6. Otherwise it ignores the evidence: it cannot judge, and counts it against no one.
public enum EvidenceJudge {
    /// Least number of witnesses, not convicted here, for a conviction by standing.
    public static let minimumWitnesses = 2

    /// What this node knows that bears on one evidence.
    public struct Case: Sendable, Equatable {
        /// This node.
        public var receiver: NodeID
        public var accused: NodeID
        public var witnesses: [NodeID]
        /// Whether the accused is convicted here already.
        public var accusedConvicted: Bool
        /// What the accused's latest announcement here says of the skill: true (deterministic),
        /// false (served, not deterministic), nil (this node does not know: the accused is not
        /// connected, or does not announce the skill).
        public var accusedDeclaredDeterministic: Bool?
        /// Results of the skill confirmed here by anchored votes, per node (absent: none).
        public var confirmed: [NodeID: Int]
        /// The pinned peers among the accused and the witnesses.
        public var pinned: Set<NodeID>
        /// Confirmed results that give a provider standing (the policy's probation).
        public var minimumStanding: Int
        /// The witnesses convicted here: their word counts for nothing.
        public var convictedWitnesses: Set<NodeID>
        /// Whether this node serves the skill as deterministic, so it can run the task itself.
        public var canRerun: Bool

        public init(
            receiver: NodeID, accused: NodeID, witnesses: [NodeID], accusedConvicted: Bool = false, accusedDeclaredDeterministic: Bool? = nil,
            confirmed: [NodeID: Int] = [:], pinned: Set<NodeID> = [], minimumStanding: Int = VerificationPolicy.default.probation,
            convictedWitnesses: Set<NodeID> = [], canRerun: Bool = false
        ) {
            self.receiver = receiver
            self.accused = accused
            self.witnesses = witnesses
            self.accusedConvicted = accusedConvicted
            self.accusedDeclaredDeterministic = accusedDeclaredDeterministic
            self.confirmed = confirmed
            self.pinned = pinned
            self.minimumStanding = max(minimumStanding, 1)
            self.convictedWitnesses = convictedWitnesses
            self.canRerun = canRerun
        }

        /// A node's standing here, as a rank: this node and pinned peers above every count of
        /// confirmed results; 0 for a node without standing.
        func standing(_ node: NodeID) -> Int {
            if node == receiver || pinned.contains(node) { return Int.max }
            let count = confirmed[node] ?? 0
            return count >= minimumStanding ? count : 0
        }
    }

    public enum Decision: Sendable, Equatable {
        /// The evidence holds: convict the accused, and pass the evidence on.
        case convict(NodeID)
        /// Run the task here once, then ``settle(_:accusedOutput:witnessOutput:ownOutput:)``.
        case rerun
        /// This node cannot judge, or need not: not counted against anyone, not passed on.
        case ignore(String)
        /// The evidence should never have been sent: counted as the sender's misbehaviour.
        case refuse(String)
    }

    public static func judge(_ c: Case) -> Decision {
        if c.accused == c.receiver {
            return .ignore("the evidence accuses this node itself")
        }
        if c.accusedConvicted {
            return .ignore("\(c.accused.short) is convicted here already")
        }
        if c.accusedDeclaredDeterministic == false {
            return .refuse("\(c.accused.short) announces the skill as not deterministic: its outputs may differ from others' without a lie")
        }
        switch weighStanding(c) {
        case nil: return .convict(c.accused)
        case let why? where !c.canRerun: return .ignore(why + ", and this node cannot run the skill to see")
        case _?: return .rerun
        }
    }

    /// Nil when the witnesses' standing here convicts the accused (rule 4); else why not.
    static func weighStanding(_ c: Case) -> String? {
        let standing = Set(c.witnesses).subtracting(c.convictedWitnesses)
        guard standing.count >= minimumWitnesses else {
            return "only \(standing.count) of the \(c.witnesses.count) witnesses are not convicted here; \(minimumWitnesses) are needed"
        }
        let best = standing.map(c.standing).max() ?? 0
        guard best > 0 else {
            return "none of the witnesses has standing here (this node, a pinned peer, or \(c.minimumStanding) results confirmed here)"
        }
        let accused = c.pinned.contains(c.accused) ? Int.max : c.confirmed[c.accused] ?? 0
        guard accused <= best else { return "\(c.accused.short) has more standing here than any witness" }
        return nil
    }

    /// What this node's own run of the task settles.
    public struct Settlement: Sendable, Equatable {
        /// Whoever signed an output other than this node's own (never this node itself).
        public var convicted: [NodeID]
        /// The accused's output was wrong: the evidence holds, and is passed on.
        public var evidenceHolds: Bool
        /// The accused was right, so the evidence was false: counted against the sender.
        public var senderAtFault: Bool

        public init(convicted: [NodeID], evidenceHolds: Bool, senderAtFault: Bool) {
            self.convicted = convicted
            self.evidenceHolds = evidenceHolds
            self.senderAtFault = senderAtFault
        }
    }

    /// After ``Decision/rerun``: convicts whoever disagrees with `ownOutput`. The accused when its
    /// output differs (the evidence holds); the witnesses when the accused's output is this node's
    /// own — they are the proven liars, and the sender is counted against for passing on false
    /// evidence; both when neither matches.
    public static func settle(_ c: Case, accusedOutput: [UInt8], witnessOutput: [UInt8], ownOutput: [UInt8]) -> Settlement {
        let liars = c.witnesses.filter { $0 != c.receiver }
        if ownOutput == witnessOutput {
            return Settlement(convicted: [c.accused], evidenceHolds: true, senderAtFault: false)
        }
        if ownOutput == accusedOutput {
            return Settlement(convicted: liars, evidenceHolds: false, senderAtFault: true)
        }
        return Settlement(convicted: [c.accused] + liars, evidenceHolds: true, senderAtFault: false)
    }

}
