import GridCore
import Testing

@Suite struct ResultCacheTests {
    let t0 = ContinuousClock.now
    let key = ResultCache.Key(skill: skill("sha256"), inputDigest: [1, 2, 3])

    @Test func aResultIsReusedWithinTheWindowOnly() {
        var cache = ResultCache(window: .seconds(60))
        #expect(cache.lookup(key, now: t0) == nil)
        cache.store(key, output: [9], executor: node(2), now: t0)
        #expect(cache.lookup(key, now: t0 + .seconds(59))?.output == [9])
        #expect(cache.lookup(key, now: t0 + .seconds(59))?.executor == node(2))
        #expect(cache.lookup(key, now: t0 + .seconds(60)) == nil)
        cache.expire(now: t0 + .seconds(61))
        #expect(cache.count == 0)
    }

    @Test func aResultProvenWrongIsDiscardedButNotAnotherOne() {
        var cache = ResultCache()
        cache.store(key, output: [6], executor: node(2), now: t0)
        cache.discard(key, ifOutput: [7])
        #expect(cache.lookup(key, now: t0)?.output == [6], "a later, different result stays")
        cache.discard(key, ifOutput: [6])
        #expect(cache.lookup(key, now: t0) == nil)
        cache.store(key, output: [8], executor: node(3), now: t0 + .seconds(1))
        cache.expire(now: t0 + .seconds(30))
        #expect(cache.lookup(key, now: t0 + .seconds(30))?.output == [8])
    }

    @Test func otherSkillsOrInputsMiss() {
        var cache = ResultCache()
        cache.store(key, output: [9], executor: nil, now: t0)
        #expect(cache.lookup(.init(skill: skill("echo"), inputDigest: [1, 2, 3]), now: t0) == nil)
        #expect(cache.lookup(.init(skill: skill("sha256"), inputDigest: [1, 2, 4]), now: t0) == nil)
    }

    @Test func itIsBoundedOldestFirst() {
        var cache = ResultCache(window: .seconds(600), capacity: 3)
        for n in 0..<5 as Range<UInt8> {
            cache.store(.init(skill: skill("x"), inputDigest: [n]), output: [n], executor: nil, now: t0 + .seconds(Int(n)))
        }
        #expect(cache.count == 3)
        #expect(cache.lookup(.init(skill: skill("x"), inputDigest: [0]), now: t0 + .seconds(5)) == nil)
        #expect(cache.lookup(.init(skill: skill("x"), inputDigest: [4]), now: t0 + .seconds(5))?.output == [4])
    }

    @Test func aRestoredKeyLivesFromItsNewTime() {
        var cache = ResultCache(window: .seconds(10))
        cache.store(key, output: [1], executor: nil, now: t0)
        cache.store(key, output: [2], executor: nil, now: t0 + .seconds(8))
        cache.expire(now: t0 + .seconds(12))
        #expect(cache.lookup(key, now: t0 + .seconds(12))?.output == [2])
    }
}
