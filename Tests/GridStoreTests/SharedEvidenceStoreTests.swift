import GRDB
import GridCore
import Testing

@testable import GridStore

/// Evidence rows that keep their whole proof (migration v8), and which of them a node passes on.
@Suite struct SharedEvidenceStoreTests {
    static let peer = try! NodeID(bytes: [UInt8](repeating: 7, count: 32))
    static let other = try! NodeID(bytes: [UInt8](repeating: 8, count: 32))

    static func record(_ task: UInt8, kind: EvidenceRecord.Kind, atMs: Int64, conviction: [UInt8]?) -> EvidenceRecord {
        EvidenceRecord(
            peer: peer, taskID: TaskID(unchecked: [UInt8](repeating: task, count: 16)), skill: try! SkillID("sha256"), kind: kind,
            theirDigest: "aa", theirResult: [1], otherNode: other, otherDigest: "bb", otherResult: [2], atMs: atMs, conviction: conviction)
    }

    @Test func migrationV8KeepsEarlierEvidenceWithoutAProof() throws {
        let queue = try DatabaseQueue()
        try GridDatabase.migrator.migrate(queue, upTo: "v7: reputation")
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO evidence (peer, taskId, skill, kind, theirDigest, theirResult, otherNode, otherDigest, otherResult, atMs)
                VALUES (?, ?, 'sha256', 'spot_check', 'aa', '[1]', ?, 'bb', '[2]', 5)
                """, arguments: [Self.peer.hex, String(repeating: "01", count: 16), Self.other.hex])
        }
        let database = try GridDatabase(writer: queue)
        let old = try #require(try database.evidence().first)
        #expect(old.kind == .spotCheck && old.conviction == nil)
        #expect(try database.evidenceToShare(sinceMs: 0, limit: 16).isEmpty, "nothing to pass on without the proof")
    }

    @Test func theNewestProofsSinceAnInstantAreTheOnesToShare() throws {
        let database = try GridDatabase.inMemory()
        try database.recordEvidence(Self.record(1, kind: .replicaVote, atMs: 100, conviction: [0xc1]))
        try database.recordEvidence(Self.record(2, kind: .spotCheck, atMs: 200, conviction: nil))
        try database.recordEvidence(Self.record(3, kind: .shared, atMs: 300, conviction: [0xc3]))
        try database.recordEvidence(Self.record(4, kind: .shared, atMs: 400, conviction: [0xc4]))
        #expect(try database.evidenceToShare(sinceMs: 0, limit: 16).map(\.conviction) == [[0xc4], [0xc3], [0xc1]])
        #expect(try database.evidenceToShare(sinceMs: 300, limit: 16).map(\.conviction) == [[0xc4], [0xc3]])
        #expect(try database.evidenceToShare(sinceMs: 0, limit: 1).map(\.conviction) == [[0xc4]])
        #expect(try database.evidence(limit: 10).first?.kind == .shared)
        #expect(try database.evidenceCounts()[Self.peer.hex] == 4)
    }
}
