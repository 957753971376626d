import GridCore
import Testing

@Suite struct AdmissionControlTests {
    let t0 = ContinuousClock.now

    @Test func aRequesterBelowTheMinimumTrustIsRefusedSayingWhy() {
        var admission = AdmissionControl(settings: .init(minTrust: 0.5))
        guard case .untrusted(let why)? = admission.admit(node(2), trust: 0.2, places: 8, now: t0) else {
            Issue.record("expected untrusted")
            return
        }
        #expect(why.contains("at least 50%") && why.contains("yours is 20%"))
        #expect(admission.admit(node(3), trust: 0.5, places: 8, now: t0) == nil)
    }

    @Test func eachRequesterHasItsOwnRate() {
        var admission = AdmissionControl(settings: .init(ratePerRequester: 10, burst: 3))
        for _ in 0..<3 {
            #expect(admission.admit(node(2), trust: 1, places: 1000, now: t0) == nil)
            admission.finished(node(2))
        }
        guard case .busy(let why)? = admission.admit(node(2), trust: 1, places: 1000, now: t0) else {
            Issue.record("expected the rate to refuse the fourth request at once")
            return
        }
        #expect(why.contains("10 task requests per second"))
        #expect(admission.admit(node(3), trust: 1, places: 1000, now: t0) == nil, "another requester is not affected")
        #expect(admission.admit(node(2), trust: 1, places: 1000, now: t0 + .milliseconds(100)) == nil, "refilled")
    }

    @Test func aLoneRequesterMayFillTheNodeAndTwoShareIt() {
        var admission = AdmissionControl()
        for _ in 0..<8 { #expect(admission.admit(node(2), trust: 1, places: 8, now: t0) == nil) }
        #expect(admission.held[node(2)] == 8)
        // A second requester arrives: its share is ⌈8 / 2⌉ = 4; the first may not take more.
        #expect(admission.admit(node(3), trust: 1, places: 8, now: t0) == nil)
        guard case .busy(let why)? = admission.admit(node(2), trust: 1, places: 8, now: t0) else {
            Issue.record("expected the first requester to be over its share")
            return
        }
        #expect(why.contains("fair share while 2 requesters"))
        for _ in 0..<3 { #expect(admission.admit(node(3), trust: 1, places: 8, now: t0) == nil) }
        if case .busy? = admission.admit(node(3), trust: 1, places: 8, now: t0) {} else { Issue.record("4 is node 3's share") }
        // As the first one's tasks finish, its count drops below its share again.
        for _ in 0..<5 { admission.finished(node(2)) }
        #expect(admission.admit(node(2), trust: 1, places: 8, now: t0) == nil)
        for _ in 0..<10 { admission.finished(node(3)) }
        #expect(admission.held[node(3)] == nil)
    }
}
