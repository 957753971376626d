import GRDB
import GridCore

/// Proof that a peer returned a wrong result: its signed TaskResult, and the signed result it
/// disagreed with (this node's own re-run, a replica of the majority, or a witness of evidence a
/// peer shared). Anyone holding the two envelopes can check both signatures and see the outputs
/// differ; `conviction`, when kept, is the whole proof (a `grid.v1.ConvictionEvidence`) that this
/// node passes to its peers.
public struct EvidenceRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "evidence"
    /// Rows kept at most; the oldest go first.
    public static let maxRows = 10_000

    public enum Kind: String, Codable, Sendable {
        /// This node re-ran the task and got another output.
        case spotCheck = "spot_check"
        /// The replicas' majority agreed on another output.
        case replicaVote = "replica_vote"
        /// A peer shared a `grid.v1.ConvictionEvidence` and this node judged it to hold.
        case shared
    }

    public var id: Int64?
    /// The peer whose result was wrong, hex.
    public var peer: String
    public var taskId: String
    public var skill: String
    public var kind: Kind
    /// SHA-256 of the wrong output, hex.
    public var theirDigest: String
    /// The peer's signed TaskResult envelope, serialized (grid.v1.SignedEnvelope).
    public var theirResult: [UInt8]
    /// Who produced the result it disagreed with (this node for a spot-check), hex.
    public var otherNode: String
    public var otherDigest: String
    public var otherResult: [UInt8]
    public var atMs: Int64
    /// The whole proof, a serialized `grid.v1.ConvictionEvidence` accusing `peer`, when this node
    /// has one to pass on (migration v8); nil otherwise.
    public var conviction: [UInt8]?

    public init(
        peer: NodeID, taskID: TaskID, skill: SkillID, kind: Kind, theirDigest: String, theirResult: [UInt8], otherNode: NodeID,
        otherDigest: String, otherResult: [UInt8], atMs: Int64, conviction: [UInt8]? = nil
    ) {
        self.peer = peer.hex
        self.taskId = taskID.hex
        self.skill = skill.name
        self.kind = kind
        self.theirDigest = theirDigest
        self.theirResult = theirResult
        self.otherNode = otherNode.hex
        self.otherDigest = otherDigest
        self.otherResult = otherResult
        self.atMs = atMs
        self.conviction = conviction
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

extension GridDatabase {
    /// Keeps `evidence`; beyond ``EvidenceRecord/maxRows`` the oldest rows go.
    public func recordEvidence(_ evidence: EvidenceRecord) throws(GridError) {
        try write("record evidence against \(evidence.peer.prefix(8))") { db in
            var row = evidence
            try row.insert(db)
            let count = try EvidenceRecord.fetchCount(db)
            if count > EvidenceRecord.maxRows {
                try db.execute(
                    sql: "DELETE FROM evidence WHERE id IN (SELECT id FROM evidence ORDER BY id LIMIT ?)", arguments: [count - EvidenceRecord.maxRows])
            }
        }
    }

    /// The evidence against `peer` (every peer when nil), newest first.
    public func evidence(against peer: NodeID? = nil, limit: Int = 100) throws(GridError) -> [EvidenceRecord] {
        do {
            return try writer.read { db in
                var request = EvidenceRecord.order(Column("id").desc).limit(limit)
                if let peer { request = request.filter(Column("peer") == peer.hex) }
                return try request.fetchAll(db)
            }
        } catch {
            throw GridError(.storeUnavailable, "cannot read evidence: \(error)")
        }
    }

    /// The evidence with a whole proof to pass on (`conviction`), found at or after `sinceMs`,
    /// newest first: what a node sends a peer that connects.
    public func evidenceToShare(sinceMs: Int64, limit: Int) throws(GridError) -> [EvidenceRecord] {
        do {
            return try writer.read { db in
                try EvidenceRecord.filter(Column("conviction") != nil && Column("atMs") >= sinceMs)
                    .order(Column("id").desc).limit(limit).fetchAll(db)
            }
        } catch {
            throw GridError(.storeUnavailable, "cannot read evidence: \(error)")
        }
    }

    /// How many wrong results are on record per peer (hex).
    public func evidenceCounts() throws(GridError) -> [String: Int] {
        do {
            return try writer.read { db in
                let rows = try Row.fetchAll(db, sql: "SELECT peer, COUNT(*) AS n FROM evidence GROUP BY peer")
                return Dictionary(uniqueKeysWithValues: rows.map { ($0["peer"] as String, $0["n"] as Int) })
            }
        } catch {
            throw GridError(.storeUnavailable, "cannot read evidence: \(error)")
        }
    }
}
