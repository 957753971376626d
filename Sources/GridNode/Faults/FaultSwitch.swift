import GridCore
import Synchronization

/// The faults a test node injects now (``FaultPlan``), set over the local API. Only a node started
/// with `gridnode run --allow-faults` has one that can be set; on every other node
/// ``set(_:)`` refuses and every question answers "healthy" without taking the lock.
final class FaultSwitch: Sendable {
    let allowed: Bool
    private let plan = Mutex(FaultPlan.none)
    /// Whether a plan with anything in it is set: lets the hot paths skip the lock when healthy.
    private let active = Atomic<Bool>(false)

    init(allowed: Bool) {
        self.allowed = allowed
    }

    var current: FaultPlan {
        active.load(ordering: .acquiring) ? plan.withLock { $0 } : .none
    }

    /// Replaces the plan (the empty plan heals every fault).
    func set(_ new: FaultPlan) throws(GridError) {
        guard allowed else {
            throw GridError(
                .faultsNotAllowed,
                "this node was not started with --allow-faults, so it injects no faults; faults are for test grids: start the node with gridnode run --allow-faults, as gridnode cluster up does")
        }
        try new.validate()
        plan.withLock { $0 = new }
        active.store(!new.isEmpty, ordering: .releasing)
    }

    func isPartitioned(from peer: NodeID) -> Bool {
        active.load(ordering: .acquiring) && plan.withLock { $0.isPartitioned(from: peer) }
    }

    var refusesConnections: Bool {
        active.load(ordering: .acquiring) && plan.withLock { $0.refuseConnections }
    }

    func dropsIncoming() -> Bool {
        guard active.load(ordering: .acquiring) else { return false }
        var random = SystemRandomNumberGenerator()
        return plan.withLock { $0.dropsIncoming(using: &random) }
    }

    func frameDelay() -> Duration {
        guard active.load(ordering: .acquiring) else { return .zero }
        var random = SystemRandomNumberGenerator()
        return plan.withLock { $0.frameOut(using: &random) }
    }

    func executorFault(for skill: SkillID) -> FaultPlan.ExecutorFault? {
        guard active.load(ordering: .acquiring) else { return nil }
        let fault = plan.withLock { $0.executorFault(for: skill) }
        return fault.delay == .zero && !fault.stalls && !fault.lies ? nil : fault
    }
}
