import GridCore
import Testing

@Suite struct LogThrottleTests {
    @Test func aFloodCostsOneLineAnIntervalAndSaysHowManyItHid() {
        var throttle = LogThrottle(interval: .seconds(10))
        let start = ContinuousClock.now
        func at(_ ms: Int) -> LogThrottle.Decision { throttle.record(now: start + .milliseconds(ms)) }
        #expect(at(0) == .log(suppressedBefore: 0))  // the first of a quiet spell: at once
        #expect((1...999).map { at($0 * 9) }.allSatisfy { $0 == .silent })  // 999 in the next 9 s: counted only
        #expect(at(9_999) == .silent)
        #expect(at(10_000) == .log(suppressedBefore: 1_000))  // the next line says how many
        #expect(at(10_001) == .silent)
        #expect(at(60_000) == .log(suppressedBefore: 1))
        #expect(at(80_000) == .log(suppressedBefore: 0))
    }
}
