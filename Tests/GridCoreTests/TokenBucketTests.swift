import GridCore
import Testing

@Suite struct TokenBucketTests {
    let t0 = ContinuousClock.now

    @Test func allowsABurstThenTheRate() {
        var bucket = TokenBucket(ratePerSecond: 10, burst: 3)
        let taken = [0, 0, 0, 0, 99, 200, 200].map { ms in bucket.take(now: t0 + .milliseconds(ms)) }
        // Three at once, then none until a whole token has refilled (100 ms at 10/s); by 200 ms two have.
        #expect(taken == [true, true, true, false, false, true, true])
    }

    @Test func refillStopsAtTheBurst() {
        var bucket = TokenBucket(ratePerSecond: 1000, burst: 2)
        let later = t0 + .seconds(60)
        let taken = [bucket.take(now: t0), bucket.take(now: later), bucket.take(now: later), bucket.take(now: later)]
        #expect(taken == [true, true, true, false])
    }
}
