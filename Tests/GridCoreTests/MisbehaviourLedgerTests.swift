import GridCore
import Testing

@Suite struct MisbehaviourLedgerTests {
    let peer = node(1)

    @Test(arguments: [
        // offence, how many of them in a row reach the default threshold of 100
        (Offence.stale, 50), (.malformed, 10), (.replayed, 10), (.unexpected, 10), (.badSignature, 5), (.wrongAuthor, 5),
        (.falseEvidence, 4), (.connectionRule, 4),
    ])
    func eachOffenceWeighsItsPointsAndTheThresholdBans(offence: Offence, toBan: Int) {
        var ledger = MisbehaviourLedger()
        for n in 1..<toBan {
            #expect(ledger.record(offence, by: peer, nowMs: 0) == .counted(score: Double(n) * offence.points))
        }
        #expect(ledger.record(offence, by: peer, nowMs: 0) == .ban(untilMs: 60_000, durationMs: 60_000))
        #expect(ledger.bannedUntil(peer, nowMs: 59_999) == 60_000)
        #expect(ledger.bannedUntil(peer, nowMs: 60_000) == nil)
        #expect(ledger.bannedUntil(node(2), nowMs: 0) == nil)
    }

    @Test func theScoreHalvesEachHalfLife() throws {
        var ledger = MisbehaviourLedger()
        _ = ledger.record(.connectionRule, by: peer, nowMs: 0)
        _ = ledger.record(.connectionRule, by: peer, nowMs: 0)
        #expect(try #require(ledger.standing(of: peer, nowMs: 600_000)).score == 25)
        #expect(abs(try #require(ledger.standing(of: peer, nowMs: 1_200_000)).score - 12.5) < 1e-9)
        // Spread out, the same offences never ban: an honest peer's bad luck is forgotten.
        for minute in 0..<200 {
            #expect(ledger.record(.connectionRule, by: peer, nowMs: Int64(minute) * 600_000) != .ban(untilMs: 0, durationMs: 0))
        }
        #expect(ledger.bannedUntil(peer, nowMs: 200 * 600_000) == nil)
    }

    @Test func eachBanLastsTwiceTheOneBeforeUpToTheLongest() {
        var ledger = MisbehaviourLedger()
        var now: Int64 = 0
        var lengths: [Int64] = []
        for _ in 0..<14 {
            var verdict = MisbehaviourLedger.Verdict.counted(score: 0)
            while case .counted = verdict { verdict = ledger.record(.connectionRule, by: peer, nowMs: now) }
            guard case .ban(let until, let length) = verdict else { Issue.record("no ban: \(verdict)"); return }
            lengths.append(length)
            // While banned, offences count but change nothing.
            #expect(ledger.record(.connectionRule, by: peer, nowMs: now + 1) == .alreadyBanned(untilMs: until))
            now = until
        }
        let minute: Int64 = 60_000
        #expect(Array(lengths.prefix(11)) == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024].map { $0 * minute })
        #expect(Array(lengths.suffix(3)) == [1440 * minute, 1440 * minute, 1440 * minute])
        #expect(ledger.standing(of: peer, nowMs: now)?.bans == 14)
    }

    @Test func aPeerQuietForTheLongestBanStartsAgainFromTheFirst() {
        var ledger = MisbehaviourLedger()
        for _ in 0..<4 { _ = ledger.record(.connectionRule, by: peer, nowMs: 0) }
        for _ in 0..<4 { _ = ledger.record(.connectionRule, by: peer, nowMs: 60_000) }
        #expect(ledger.standing(of: peer, nowMs: 60_000)?.bannedUntilMs == 180_000)  // the second: 2 minutes
        let later: Int64 = 180_000 + 86_400_000
        var verdict = MisbehaviourLedger.Verdict.counted(score: 0)
        while case .counted = verdict { verdict = ledger.record(.connectionRule, by: peer, nowMs: later) }
        #expect(verdict == .ban(untilMs: later + 60_000, durationMs: 60_000))
    }

    @Test func forgivingLiftsTheBanAndClearsTheSeries() {
        var ledger = MisbehaviourLedger()
        for _ in 0..<4 { _ = ledger.record(.connectionRule, by: peer, nowMs: 0) }
        #expect(ledger.banned(nowMs: 1).map(\.peer) == [peer])
        #expect(ledger.forgive(peer) == true)
        #expect(ledger.bannedUntil(peer, nowMs: 1) == nil)
        #expect(ledger.standing(of: peer, nowMs: 1) == nil)
        let again = ledger.forgive(peer)
        #expect(!again)
    }

    @Test func theLedgerIsBoundedAndKeepsTheBannedOverTheLeastSuspect() {
        var settings = MisbehaviourSettings()
        settings.maxTracked = 3
        var ledger = MisbehaviourLedger(settings: settings)
        for _ in 0..<4 { _ = ledger.record(.connectionRule, by: node(1), nowMs: 0) }  // banned
        _ = ledger.record(.malformed, by: node(2), nowMs: 0)
        _ = ledger.record(.stale, by: node(3), nowMs: 0)
        _ = ledger.record(.stale, by: node(4), nowMs: 0)
        #expect(ledger.trackedCount == 3)
        #expect(ledger.bannedUntil(node(1), nowMs: 0) == 60_000)
        #expect(ledger.standing(of: node(2), nowMs: 0)?.score == 10)
        #expect(ledger.standing(of: node(4), nowMs: 0)?.score == 2)  // the newcomer is kept; node 3 went
        #expect(ledger.standing(of: node(3), nowMs: 0) == nil)
    }
}
