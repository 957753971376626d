import GridCore
import Testing

@Suite struct RequestLedgerTests {
    let a = RequestLedger.Key(requester: node(1), task: try! TaskID(bytes: [UInt8](repeating: 1, count: 16)))
    let b = RequestLedger.Key(requester: node(2), task: try! TaskID(bytes: [UInt8](repeating: 1, count: 16)))

    @Test func aRepeatIsAckedAgainOnceAcceptedAndIgnoredWhileAdmitted() {
        var ledger = RequestLedger()
        #expect(ledger.arrived(a) == .admit)
        #expect(ledger.arrived(a) == .ignore, "the first request's ack answers both")
        #expect(ledger.arrived(b) == .admit, "the same task ID from another requester is another task")
        #expect(ledger.admitted(a) == .run)
        #expect(ledger.arrived(a) == .ackAgain)
        ledger.started(a)
        #expect(ledger.arrived(a) == .ackAgain, "runs once")
        #expect(ledger.finished(a) == .asItCame)
        #expect(ledger.arrived(a) == .admit, "after its result, a new request is a new task")
    }

    @Test func aRefusedRequestIsForgotten() {
        var ledger = RequestLedger()
        _ = ledger.arrived(a)
        ledger.refused(a)
        #expect(ledger.count == 0 && ledger.arrived(a) == .admit)
    }

    static let cancels: [(stage: String, expected: RequestLedger.Cancel)] = [
        ("unknown", .nothing), ("admitting", .stopBeforeItStarts), ("accepted", .stopRun), ("started", .stopRun),
    ]

    @Test(arguments: cancels) func aCancelStopsWhatItCan(_ stage: String, expected: RequestLedger.Cancel) {
        var ledger = RequestLedger()
        if stage != "unknown" { _ = ledger.arrived(a) }
        if stage == "accepted" || stage == "started" { _ = ledger.admitted(a) }
        if stage == "started" { ledger.started(a) }
        #expect(ledger.cancelled(a) == expected)
        if stage == "admitting" { #expect(ledger.admitted(a) == .answerCancelled, "acked, then answered cancelled, never run") }
    }

    @Test func aStopHandsBackTheWaitingAtOnceAndTheRunningAtTheEndOfTheDrain() {
        var ledger = RequestLedger()
        let c = RequestLedger.Key(requester: node(3), task: a.task)
        for key in [a, b, c] { _ = ledger.arrived(key) }
        _ = ledger.admitted(a)
        _ = ledger.admitted(b)
        ledger.started(b)  // c is still being admitted: it is refused as busy by the shell
        #expect(ledger.beginDrain() == [a])
        #expect(Set(ledger.handBackAll()) == [a, b])
        #expect(ledger.finished(a) == .handedBack && ledger.finished(b) == .handedBack)
        #expect(ledger.finished(c) == .asItCame)
        #expect(ledger.count == 0)
    }
}
