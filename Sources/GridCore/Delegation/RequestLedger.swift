/// The executor's record of the tasks peers asked it to run, by (requester, task ID): what a
/// request, a repeat, a cancel, a start, an end and a graceful stop each mean for them. The
/// ``TaskServer`` shell asks it and carries out the answer (ack, run, cancel the run, answer busy).
///
/// A task goes *admitting* (the request passed its checks; the ack is not sent yet) → *accepted*
/// (acked, waiting for a slot) → *started* (its skill runs) → gone at its result. A repeat of an
/// accepted task is acked again and runs once; a repeat while it is admitted gets no second ack (the
/// first one answers both). A cancel while admitting stops it before it starts. At a stop, tasks
/// not started go back to their requesters at once and, when the drain time is over, the rest too:
/// each is answered as busy, so its requester runs it elsewhere.
public struct RequestLedger: Sendable {
    public struct Key: Hashable, Sendable {
        public var requester: NodeID
        public var task: TaskID

        public init(requester: NodeID, task: TaskID) {
            self.requester = requester
            self.task = task
        }
    }

    public enum Stage: Sendable, Equatable {
        case admitting(cancelled: Bool)
        case accepted
        case started
    }

    /// What to do with a request.
    public enum Arrival: Sendable, Equatable {
        /// A new task: check and admit it, then ``admitted(_:)`` or ``refused(_:)``.
        case admit
        /// Accepted already: ack it again; it still runs once.
        case ackAgain
        /// Being admitted: the first request's ack answers this one too.
        case ignore
    }

    /// What to do once the ack is sent.
    public enum Admission: Sendable, Equatable {
        case run
        /// Its requester cancelled it while it was admitted: answer it cancelled, never run it.
        case answerCancelled
    }

    /// What a TaskCancel does.
    public enum Cancel: Sendable, Equatable {
        /// Cancel its run (it answers cancelled).
        case stopRun
        /// It is being admitted: it will not run (``admitted(_:)`` says so).
        case stopBeforeItStarts
        /// Unknown here, or finished: nothing.
        case nothing
    }

    /// How the result of a finished task is sent.
    public enum Ending: Sendable, Equatable {
        case asItCame
        /// It was handed back at a stop: answer busy, so the requester runs it elsewhere.
        case handedBack
    }

    private var stages: [Key: Stage] = [:]
    private var handingBack: Set<Key> = []

    public init() {}

    /// Tasks admitted, accepted or running, not yet answered.
    public var count: Int { stages.count }
    public func stage(of key: Key) -> Stage? { stages[key] }

    public mutating func arrived(_ key: Key) -> Arrival {
        switch stages[key] {
        case .accepted?, .started?: return .ackAgain
        case .admitting?: return .ignore
        case nil:
            stages[key] = .admitting(cancelled: false)
            return .admit
        }
    }

    /// The request was refused (not acked as accepted): forgotten.
    public mutating func refused(_ key: Key) {
        stages[key] = nil
    }

    /// The ack was sent as accepted.
    public mutating func admitted(_ key: Key) -> Admission {
        guard case .admitting(let cancelled)? = stages[key] else { return .run }
        stages[key] = .accepted
        return cancelled ? .answerCancelled : .run
    }

    /// Its skill began running.
    public mutating func started(_ key: Key) {
        if stages[key] == .accepted { stages[key] = .started }
    }

    public mutating func cancelled(_ key: Key) -> Cancel {
        switch stages[key] {
        case .admitting?:
            stages[key] = .admitting(cancelled: true)
            return .stopBeforeItStarts
        case .accepted?, .started?: return .stopRun
        case nil: return .nothing
        }
    }

    /// Its result is being sent: forgotten, and how to send it.
    public mutating func finished(_ key: Key) -> Ending {
        stages[key] = nil
        return handingBack.remove(key) != nil ? .handedBack : .asItCame
    }

    /// A graceful stop begins: the accepted tasks that have not started go back now (cancel their
    /// runs; they end as handed back).
    public mutating func beginDrain() -> [Key] {
        let back = stages.filter { $0.value == .accepted }.map(\.key)
        handingBack.formUnion(back)
        return back
    }

    /// The drain time is over: every accepted or running task goes back.
    public mutating func handBackAll() -> [Key] {
        let back = stages.filter { $0.value == .accepted || $0.value == .started }.map(\.key)
        handingBack.formUnion(back)
        return back
    }
}
