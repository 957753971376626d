import GridCore
import Testing

@Suite struct ProgressThrottleTests {
    /// One input to the throttle, at a time in milliseconds from the start.
    enum Step: CustomStringConvertible {
        case started(UInt8)
        case progress(UInt8, String)
        case timer(UInt8)
        case finish(UInt8)

        var description: String {
            switch self {
            case .started(let task): "started(\(task))"
            case .progress(let task, let message): "progress(\(task), \(message))"
            case .timer(let task): "timer(\(task))"
            case .finish(let task): "finish(\(task))"
            }
        }
    }

    /// What the throttle answered: a report sent (task, its message or "started", sequence), a
    /// timer asked for (task, at ms), or nothing.
    enum Out: Equatable {
        case send(UInt8, String, UInt32)
        case schedule(UInt8, Int)
        case none
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var settings = ProgressThrottle.Settings.default
        var steps: [(ms: Int, step: Step, out: Out)]
        var testDescription: String { name }
    }

    static let t0 = ContinuousClock.now

    static func task(_ n: UInt8) -> TaskID { TaskID(unchecked: [UInt8](repeating: n, count: 16)) }

    static let cases: [Case] = [
        Case(name: "started goes at once, numbered 1", steps: [
            (0, .started(1), .send(1, "started", 1)),
        ]),
        Case(name: "a report a whole interval after the last goes at once", steps: [
            (0, .started(1), .send(1, "started", 1)),
            (250, .progress(1, "a"), .send(1, "a", 2)),
            (600, .progress(1, "b"), .send(1, "b", 3)),
        ]),
        Case(name: "a report inside the interval waits for its end", steps: [
            (0, .started(1), .send(1, "started", 1)),
            (100, .progress(1, "a"), .schedule(1, 250)),
            (250, .timer(1), .send(1, "a", 2)),
            (300, .progress(1, "b"), .schedule(1, 500)),
            (500, .timer(1), .send(1, "b", 3)),
        ]),
        Case(name: "latest wins: a later report replaces the one waiting, under the same timer", steps: [
            (0, .started(1), .send(1, "started", 1)),
            (10, .progress(1, "a"), .schedule(1, 250)),
            (20, .progress(1, "b"), .none),
            (249, .progress(1, "c"), .none),
            (250, .timer(1), .send(1, "c", 2)),
            (251, .timer(1), .none),
        ]),
        Case(name: "a timer that fires with nothing waiting sends nothing", steps: [
            (0, .started(1), .send(1, "started", 1)),
            (300, .timer(1), .none),
        ]),
        Case(name: "an early timer asks again for the end of the interval", steps: [
            (0, .started(1), .send(1, "started", 1)),
            (100, .progress(1, "a"), .schedule(1, 250)),
            (200, .timer(1), .schedule(1, 250)),
            (250, .timer(1), .send(1, "a", 2)),
        ]),
        Case(name: "a report after the interval while a late timer is outstanding goes at once", steps: [
            (0, .started(1), .send(1, "started", 1)),
            (100, .progress(1, "a"), .schedule(1, 250)),
            (300, .progress(1, "b"), .send(1, "b", 2)),
            (310, .timer(1), .none),
            (400, .progress(1, "c"), .schedule(1, 550)),
            (550, .timer(1), .send(1, "c", 3)),
        ]),
        Case(name: "started always goes at once and drops the report waiting", steps: [
            (0, .started(1), .send(1, "started", 1)),
            (100, .progress(1, "a"), .schedule(1, 250)),
            (120, .started(1), .send(1, "started", 2)),
            (250, .timer(1), .none),
        ]),
        Case(name: "after a started, the outstanding timer waits on for the new interval", steps: [
            (0, .started(1), .send(1, "started", 1)),
            (100, .progress(1, "a"), .schedule(1, 250)),
            (120, .started(1), .send(1, "started", 2)),
            (200, .progress(1, "b"), .none),
            (250, .timer(1), .schedule(1, 370)),
            (370, .timer(1), .send(1, "b", 3)),
        ]),
        Case(name: "progress for a task not started is not sent", steps: [
            (0, .progress(1, "a"), .none),
            (300, .timer(1), .none),
            (400, .started(1), .send(1, "started", 1)),
        ]),
        Case(name: "finish hands over the report waiting, to go before the result; nothing after", steps: [
            (0, .started(1), .send(1, "started", 1)),
            (100, .progress(1, "a"), .schedule(1, 250)),
            (150, .finish(1), .send(1, "a", 2)),
            (250, .timer(1), .none),
            (300, .progress(1, "b"), .none),
        ]),
        Case(name: "tasks are throttled and numbered apart", steps: [
            (0, .started(1), .send(1, "started", 1)),
            (10, .started(2), .send(2, "started", 1)),
            (100, .progress(1, "a"), .schedule(1, 250)),
            (260, .progress(2, "x"), .send(2, "x", 2)),
            (260, .timer(1), .send(1, "a", 2)),
        ]),
        Case(name: "at most maxTasks tracked: a task started beyond it sends nothing until one finishes",
             settings: .init(interval: .milliseconds(250), maxTasks: 1), steps: [
            (0, .started(1), .send(1, "started", 1)),
            (10, .started(2), .none),
            (300, .progress(2, "x"), .none),
            (400, .finish(1), .none),
            (410, .started(2), .send(2, "started", 1)),
        ]),
        Case(name: "a zero interval sends every report", settings: .init(interval: .zero, maxTasks: 8), steps: [
            (0, .started(1), .send(1, "started", 1)),
            (0, .progress(1, "a"), .send(1, "a", 2)),
            (0, .progress(1, "b"), .send(1, "b", 3)),
        ]),
        Case(name: "another interval", settings: .init(interval: .seconds(1), maxTasks: 8), steps: [
            (0, .started(1), .send(1, "started", 1)),
            (999, .progress(1, "a"), .schedule(1, 1000)),
            (1000, .timer(1), .send(1, "a", 2)),
        ]),
    ]

    @Test(arguments: cases)
    func stepsGiveTheExpectedDirectives(_ test: Case) {
        var throttle = ProgressThrottle(settings: test.settings)
        for (ms, step, expected) in test.steps {
            let now = Self.t0 + .milliseconds(ms)
            let directive: ProgressThrottle.Directive?
            switch step {
            case .started(let task):
                directive = throttle.report(TaskProgress(stage: .started, fraction: nil, message: nil), for: Self.task(task), now: now)
            case .progress(let task, let message):
                directive = throttle.report(TaskProgress(stage: .progress, fraction: 0.5, message: message), for: Self.task(task), now: now)
            case .timer(let task):
                directive = throttle.timerFired(Self.task(task), now: now)
            case .finish(let task):
                directive = throttle.finish(Self.task(task)).map { .send($0) }
            }
            #expect(Self.out(directive) == expected, "at \(ms) ms, \(step)")
        }
    }

    static func out(_ directive: ProgressThrottle.Directive?) -> Out {
        switch directive {
        case .send(let report)?:
            let what = report.progress.stage == .started ? "started" : report.progress.message
            return .send(report.task.bytes[0], what, report.sequence)
        case .schedule(let task, let at)?:
            let ms = t0.duration(to: at).milliseconds
            return .schedule(task.bytes[0], Int(ms))
        case nil:
            return .none
        }
    }

    @Test func theBoundIsCountedAndFinishedTasksFreeTheirPlace() {
        var throttle = ProgressThrottle(settings: .init(interval: .milliseconds(250), maxTasks: 2))
        let started = TaskProgress(stage: .started, fraction: nil, message: nil)
        for n in 1...4 { _ = throttle.report(started, for: Self.task(UInt8(n)), now: Self.t0) }
        #expect(throttle.trackedTasks == 2 && throttle.refused == 2)
        throttle.finish(Self.task(1))
        throttle.finish(Self.task(9))  // never tracked: nothing changes
        #expect(throttle.trackedTasks == 1)
    }

    @Test func theSentReportIsTheOneGiven() {
        var throttle = ProgressThrottle()
        let progress = TaskProgress(stage: .progress, fraction: 0.25, message: "a quarter")
        _ = throttle.report(TaskProgress(stage: .started, fraction: nil, message: nil), for: Self.task(1), now: Self.t0)
        let directive = throttle.report(progress, for: Self.task(1), now: Self.t0 + .seconds(1))
        #expect(directive == .send(.init(task: Self.task(1), progress: progress, sequence: 2)))
    }
}
