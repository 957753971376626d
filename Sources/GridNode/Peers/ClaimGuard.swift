import GridCore
import GridWire

/// The node's one ``ReplayGuard``, shared by all its connections.
actor ClaimGuard {
    private var replay: ReplayGuard

    init(settings: NodeSettings, startedAtMs: UInt64) {
        replay = ReplayGuard(
            skewMs: UInt64(settings.replayWindowMs), capacity: settings.replayCacheEntries, notBeforeMs: startedAtMs)
    }

    func admit(_ claim: VerifiedEnvelope) throws(GridError) {
        try replay.admit(claim, nowMs: UInt64(WallClock.nowMs()))
    }
}
