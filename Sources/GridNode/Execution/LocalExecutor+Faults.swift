import GridCore

/// The executor's faults on a test grid (``FaultPlan``): a slow machine, a stalled skill, a liar.
extension LocalExecutor {
    /// Holds a run back as `fault` says, while it holds its place: the delay of a slow machine,
    /// and for a stalled skill until the stall is healed. Returns the failure that ends the run
    /// instead when the task is cancelled meanwhile (its deadline passed, or it was cancelled).
    func suffer(_ fault: FaultPlan.ExecutorFault, skill: SkillID) async -> TaskFailure? {
        if fault.delay > .zero, (try? await Task.sleep(for: fault.delay)) == nil {
            return TaskFailure(.cancelled, "the task was cancelled while this node's executor was slowed (fault)")
        }
        guard fault.stalls else { return nil }
        // A stall has no event to wait for but its own healing: look again every 50 ms.
        while (try? await Task.sleep(for: .milliseconds(50))) != nil {
            if faults.executorFault(for: skill)?.stalls != true { return nil }
        }
        return TaskFailure(.cancelled, "the task ended while its skill '\(skill)' was stalled (fault)")
    }

    func falsifiedIfLying(_ outcome: TaskOutcome, skill: SkillID) -> TaskOutcome {
        guard case .success(let output) = outcome, faults.executorFault(for: skill)?.lies == true else { return outcome }
        return .success(output: FaultPlan.falsified(output))
    }
}
