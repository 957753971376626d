import Foundation
import GridCore
import GridTestKit
import GridWire
import Testing

@testable import GridNode

@Suite struct ReputationTests {
    func id(_ n: UInt8) -> NodeID { try! NodeID(bytes: [UInt8](repeating: n, count: 32)) }
    let work = try! SkillID("work")

    func report(epoch: UInt64, _ entries: [(NodeID, UInt32)]) -> Grid_V1_TrustReport {
        .with { report in
            report.epoch = epoch
            report.entries = entries.map { node, ppm in .with { $0.nodeID = Data(node.bytes); $0.trustPpm = ppm } }
        }
    }

    @Test func experienceBecomesTrustAndThisNodesReport() async {
        let reputation = Reputation(localNode: id(1), preTrusted: [])
        #expect(await reputation.trustScore(of: id(2)) == 0)
        for _ in 0..<3 { await reputation.record(.success, node: id(2), skill: work, latency: .milliseconds(5)) }
        await reputation.record(.success, node: id(3), skill: work, latency: .milliseconds(5))
        let (_, own) = await reputation.recompute(nowMs: 1_000)
        #expect(await reputation.trustScore(of: id(2)) == 1)
        let third = await reputation.trustScore(of: id(3))
        #expect(third > 0 && third < 1)
        #expect(own.epoch == 1_000)
        #expect(own.entries.map(\.trustPpm).reduce(0, +) <= 1_000_000)
        #expect(own.entries.first?.nodeID == Data(id(2).bytes), "largest first")
        let (_, next) = await reputation.recompute(nowMs: 900)  // the clock stepped back: epochs still grow
        #expect(next.epoch == 1_001)
    }

    @Test func aTrustedPeersReportPassesTrustOn() async throws {
        let reputation = Reputation(localNode: id(1), preTrusted: [id(2)])
        try await reputation.receiveReport(report(epoch: 1, [(id(3), 1_000_000)]), from: id(2))
        _ = await reputation.recompute(nowMs: 1)
        #expect(await reputation.trustScore(of: id(3)) > 0)
    }

    @Test func aConvictedNodesReportsCountForNothing() async throws {
        let reputation = Reputation(localNode: id(1), preTrusted: [id(2)])
        try await reputation.receiveReport(report(epoch: 1, [(id(3), 1_000_000)]), from: id(2))
        await reputation.record(.wrongResult, node: id(2), skill: work, latency: nil)
        _ = await reputation.recompute(nowMs: 1)
        #expect(await reputation.trustScore(of: id(3)) == 0, "its earlier report was dropped")
        try await reputation.receiveReport(report(epoch: 2, [(id(3), 1_000_000)]), from: id(2))
        _ = await reputation.recompute(nowMs: 2)
        #expect(await reputation.trustScore(of: id(3)) == 0, "and a new one is ignored")
    }

    @Test func aMalformedReportThrows() async {
        let reputation = Reputation(localNode: id(1), preTrusted: [])
        let shortID = Grid_V1_TrustReport.with {
            $0.epoch = 1
            $0.entries = [.with { $0.nodeID = Data([1, 2, 3]); $0.trustPpm = 10 }]
        }
        await #expect(throws: GridError.self) { try await reputation.receiveReport(shortID, from: id(2)) }
        await #expect(throws: GridError.self) {
            try await reputation.receiveReport(report(epoch: 1, [(id(3), 800_000), (id(4), 800_000)]), from: id(2))
        }
    }
}
