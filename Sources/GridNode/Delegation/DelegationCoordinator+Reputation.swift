import GridCore
import GridStore

/// The circuit breakers across restarts of this node (saved with the experience, restored at
/// start), and a peer's reconnection, which lets a peer with an open circuit be tried again at once.
extension DelegationCoordinator {
    static func restoredBreakers(_ node: NodeContext) -> CircuitBreakers {
        let settings = node.settings.circuitBreakerSettings
        guard let saved = node.savedBreakers else { return CircuitBreakers(settings: settings) }
        return CircuitBreakers(settings: settings, restoring: saved, now: .now, nowMs: WallClock.nowMs())
    }

    func breakersSnapshot(nowMs: Int64) -> CircuitBreakers.Snapshot {
        breakers.snapshot(now: .now, nowMs: nowMs)
    }

    /// `peer` connected (again): an open circuit goes half-open, and waiting work may go to it.
    func peerConnected(_ peer: NodeID) {
        breakers.peerReconnected(peer, now: .now)
        schedulePlacement()
    }
}
