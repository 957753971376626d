import Foundation
import GridCore
import GridWire

/// The executor's side of progress: a task running here for a peer reports when it starts and how
/// it goes, at most one report per interval per task (the latest wins), never after its result.
extension TaskServer {
    func report(_ report: TaskProgress, for key: RunningKey) async {
        guard var stream = progress[key] else { return }  // finished: its result went first
        let directive = stream.throttle.report(report, for: key.task, now: .now)
        progress[key] = stream
        await carryOut(directive, for: key)
    }

    func progressTimerFired(_ key: RunningKey) async {
        guard var stream = progress[key] else { return }
        stream.timerSet = false
        let directive = stream.throttle.timerFired(key.task, now: .now)
        progress[key] = stream
        await carryOut(directive, for: key)
    }

    private func carryOut(_ directive: ProgressThrottle.Directive?, for key: RunningKey) async {
        guard let stream = progress[key] else { return }
        switch directive {
        case .send(let report)?:
            guard let message = try? TaskProgressMessage(
                taskID: key.task, requestDigest: Array(stream.digest), progress: report.progress, sequence: report.sequence)
            else { return }
            await send(message.wire, to: stream.session)
        case .schedule(_, let instant)?:
            guard !stream.timerSet else { return }
            progress[key]?.timerSet = true
            // A timer that fires after the task ended finds no stream and does nothing.
            node.tasks.spawn {
                guard (try? await Task.sleep(until: instant, clock: .continuous)) != nil else { return }
                await self.progressTimerFired(key)
            }
        case nil:
            break
        }
    }
}
