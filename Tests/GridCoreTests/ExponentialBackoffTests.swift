import GridCore
import GridTestKit
import Testing

@Suite struct ExponentialBackoffTests {
    let backoff = ExponentialBackoff(base: .milliseconds(100), cap: .seconds(2))

    @Test(arguments: [(0, 100), (1, 200), (2, 400), (4, 1600), (5, 2000), (60, 2000), (1000, 2000)])
    func ceilingDoublesUpToTheCap(attempt: Int, ms: Int64) {
        #expect(backoff.ceiling(attempt: attempt) == .milliseconds(ms))
    }

    @Test func delaysStayWithinTheCeilingAndRepeatForASeed() {
        var rng = SeededRandomNumberGenerator(seed: 42)
        var again = SeededRandomNumberGenerator(seed: 42)
        for attempt in 0..<20 {
            let delay = backoff.delay(attempt: attempt, using: &rng)
            #expect(delay >= .zero && delay <= backoff.ceiling(attempt: attempt))
            #expect(delay == backoff.delay(attempt: attempt, using: &again))
        }
    }

    @Test func durationConversionsSaturate() {
        #expect(Duration.milliseconds(1500).milliseconds == 1500)
        #expect(Duration.seconds(Int64.max).nanoseconds == .max)
    }
}
