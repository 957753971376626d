import GridCore
import Testing

@Suite struct LoadPacerTests {
    let t0 = ContinuousClock.now

    func pacer(_ rate: Double, _ duration: Duration, maxInFlight: Int = 1024) -> LoadPacer {
        LoadPacer(ratePerSecond: rate, start: t0, duration: duration, maxInFlight: maxInFlight)
    }

    @Test(arguments: [
        // rate, duration, submissions due before the end (the n-th is due at n / rate)
        (200.0, Duration.seconds(3), 600),
        (3, .seconds(1), 3),
        (7, .seconds(1), 7),
        (2.5, .seconds(1), 3),  // at 0, 0.4, 0.8 s
        (0.5, .seconds(3), 2),  // at 0 and 2 s
        (0.1, .seconds(30), 3),  // 0.1 × 30 is 3.0000000000000004 in floating point; still 3
        (1000, .milliseconds(1), 1),  // the second is due at the end itself: not sent
        (1000, .microseconds(1500), 2),
    ])
    func totalIsTheSubmissionsDueBeforeTheEnd(rate: Double, duration: Duration, total: Int) {
        #expect(pacer(rate, duration).total == total)
    }

    @Test func theNthSubmissionIsDueAtNOverTheRateToTheNanosecond() {
        let fast = pacer(200, .seconds(3))
        #expect([0, 1, 2, 599].map { fast.dueInstant($0) - t0 } == [.zero, .milliseconds(5), .milliseconds(10), .milliseconds(2995)])
        let thirds = pacer(3, .seconds(1))
        #expect([1, 2].map { thirds.dueInstant($0) - t0 } == [.nanoseconds(333_333_333), .nanoseconds(666_666_667)])
    }

    @Test func releasesWhatIsDueByNowOnceEach() {
        var pacer = pacer(200, .seconds(3))
        #expect(pacer.nextDue == t0)
        let steps: [(ms: Int, due: [Int])] = [
            (0, [0]),
            (12, [5, 10]),
            (12, []),
            (14, []),
            (15, [15]),
            (31, [20, 25, 30]),
        ]
        for step in steps {
            let release = pacer.release(now: t0 + .milliseconds(step.ms), inFlight: 0)
            #expect(release == LoadPacer.Release(due: step.due.map { t0 + .milliseconds($0) }, skipped: 0), "at \(step.ms) ms")
        }
        #expect(pacer.released == 7)
        #expect(pacer.nextDue == t0 + .milliseconds(35))
        #expect(!pacer.isFinished)
    }

    @Test(arguments: [
        // in flight already, then what is sent and what is skipped of the 10 due by 9 ms (max 4)
        (0, 4, 6),
        (2, 2, 8),
        (4, 0, 10),
        (9, 0, 10),  // more in flight than the bound (it was lowered): nothing sent
    ])
    func skipsWhatWouldPassMaxInFlight(inFlight: Int, sent: Int, skipped: Int) {
        var pacer = pacer(1000, .seconds(1), maxInFlight: 4)
        let release = pacer.release(now: t0 + .milliseconds(9), inFlight: inFlight)
        // The earliest due are sent; those skipped are gone, not kept for later.
        #expect(release == LoadPacer.Release(due: (0..<sent).map { t0 + .milliseconds($0) }, skipped: skipped))
        #expect(pacer.released == 10)
        #expect(pacer.nextDue == t0 + .milliseconds(10))
    }

    @Test func releasesNothingAfterTheLastSubmission() {
        var pacer = pacer(2, .seconds(2))
        let late = pacer.release(now: t0 + .seconds(10), inFlight: 0)
        #expect(late.due == [0, 500, 1000, 1500].map { t0 + .milliseconds($0) })
        #expect(pacer.isFinished)
        #expect(pacer.nextDue == nil)
        #expect(pacer.release(now: t0 + .seconds(20), inFlight: 0) == LoadPacer.Release(due: [], skipped: 0))
    }

    @Test func nothingIsDueBeforeTheStart() {
        var pacer = pacer(100, .seconds(1))
        #expect(pacer.release(now: t0 - .milliseconds(1), inFlight: 0) == LoadPacer.Release(due: [], skipped: 0))
        #expect(pacer.released == 0)
    }
}
