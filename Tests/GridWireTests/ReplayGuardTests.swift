import GridCore
import GridWire
import Testing

@Suite struct ReplayGuardTests {
    let author = try! NodeID(bytes: [UInt8](repeating: 1, count: 32))
    let start: UInt64 = 1_000_000

    func nonce(_ n: UInt8) -> [UInt8] { [UInt8](repeating: n, count: 16) }

    @Test func aClaimIsAcceptedOnce() throws {
        var guard_ = ReplayGuard(skewMs: 60_000, notBeforeMs: start)
        try guard_.admit(author: author, nonce: nonce(1), timestampMs: start + 10, nowMs: start + 20)
        let error = #expect(throws: GridError.self) {
            try guard_.admit(author: author, nonce: nonce(1), timestampMs: start + 10, nowMs: start + 30)
        }
        #expect(error?.code == .replayedClaim)
        // Another author may use the same nonce.
        try guard_.admit(author: try NodeID(bytes: [UInt8](repeating: 2, count: 32)), nonce: nonce(1), timestampMs: start + 10, nowMs: start + 30)
    }

    @Test(arguments: [
        (UInt64(1_000_000 - 1), "before this node started"),
        (UInt64(1_200_000 - 60_001), "outside the ±60 s window"),
        (UInt64(1_200_000 + 60_001), "in the future"),
    ])
    func timestampsOutsideTheWindowAreRefusedNamingIt(_ timestamp: UInt64, _ mentioned: String) {
        var guard_ = ReplayGuard(skewMs: 60_000, notBeforeMs: start)
        let now: UInt64 = timestamp < start ? start + 10 : 1_200_000
        let error = #expect(throws: GridError.self) { try guard_.admit(author: author, nonce: nonce(1), timestampMs: timestamp, nowMs: now) }
        #expect(error?.code == .staleClaim)
        #expect(error?.message.contains(mentioned) == true, "\(error?.message ?? "")")
    }

    @Test(arguments: [UInt64.max, UInt64.max - 1, 0])
    func extremeTimestampsAreRefusedWithoutOverflow(_ timestamp: UInt64) {
        var guard_ = ReplayGuard(skewMs: 60_000, notBeforeMs: 0)
        #expect(throws: GridError.self) { try guard_.admit(author: author, nonce: nonce(1), timestampMs: timestamp, nowMs: 1_200_000) }
        var nearTheEnd = ReplayGuard(skewMs: 60_000, notBeforeMs: 0)
        #expect(throws: Never.self) {
            try? nearTheEnd.admit(author: author, nonce: nonce(1), timestampMs: timestamp, nowMs: UInt64.max - 10)
        }
    }

    @Test func theEdgesOfTheWindowAreInside() throws {
        var guard_ = ReplayGuard(skewMs: 60_000, notBeforeMs: start)
        try guard_.admit(author: author, nonce: nonce(1), timestampMs: 1_200_000 - 60_000, nowMs: 1_200_000)
        try guard_.admit(author: author, nonce: nonce(2), timestampMs: 1_200_000 + 60_000, nowMs: 1_200_000)
    }

    @Test func entriesAreForgottenOnceTheirTimestampLeavesTheWindow() throws {
        var guard_ = ReplayGuard(skewMs: 1_000, notBeforeMs: start)
        try guard_.admit(author: author, nonce: nonce(1), timestampMs: start + 100, nowMs: start + 100)
        #expect(guard_.count == 1)
        // Later, the old claim would be stale anyway, so its entry goes.
        try guard_.admit(author: author, nonce: nonce(2), timestampMs: start + 5_000, nowMs: start + 5_000)
        #expect(guard_.count == 1)
        #expect(throws: GridError.self) { try guard_.admit(author: author, nonce: nonce(1), timestampMs: start + 100, nowMs: start + 5_001) }
    }

    @Test func theCacheIsBounded() throws {
        var guard_ = ReplayGuard(skewMs: 60_000, capacity: 3, notBeforeMs: start)
        for n in 0..<10 as Range<UInt8> {
            try guard_.admit(author: author, nonce: nonce(n), timestampMs: start + 1, nowMs: start + 2)
            #expect(guard_.count <= 3)
        }
    }
}
