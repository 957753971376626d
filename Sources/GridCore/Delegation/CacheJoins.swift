/// Identical cacheable tasks (same skill, same input) that run as one: the first is the *leader*
/// and runs; the ones that arrive while it runs *follow* it and take its outcome — when that
/// outcome is the skill's answer for the input (a success, or an application error). When the
/// leader ends for a reason of its own (cancelled by its application, its own deadline, no node
/// could run it), its followers are not bound by it: they are started on their own, and the first
/// of them to start leads the others. A follower can leave early (its application cancels it, its
/// own deadline passes) without touching the leader or the other followers.
public struct CacheJoins: Sendable {
    /// What an arriving cacheable task does.
    public enum Arrival: Sendable, Equatable {
        /// No identical task runs: it runs, and leads.
        case lead
        /// It waits for `leader`'s outcome.
        case follow(leader: TaskID)
    }

    /// What happens to the followers of a leader that ended.
    public struct Ending: Sendable, Equatable {
        /// They take the leader's outcome.
        public var share: [TaskID]
        /// They start on their own (the leader's outcome is not theirs).
        public var restart: [TaskID]

        public init(share: [TaskID] = [], restart: [TaskID] = []) {
            self.share = share
            self.restart = restart
        }
    }

    private var leaders: [ResultCache.Key: TaskID] = [:]
    private var followers: [TaskID: [TaskID]] = [:]
    private var leaderOf: [TaskID: TaskID] = [:]

    public init() {}

    public mutating func arrive(_ task: TaskID, key: ResultCache.Key) -> Arrival {
        if let leader = leaders[key] {
            followers[leader, default: []].append(task)
            leaderOf[task] = leader
            return .follow(leader: leader)
        }
        leaders[key] = task
        return .lead
    }

    public func isFollower(_ task: TaskID) -> Bool { leaderOf[task] != nil }

    /// The leader `task` follows, if it follows one.
    public func leader(of task: TaskID) -> TaskID? { leaderOf[task] }

    /// A follower ended on its own (cancelled, its deadline): it no longer waits. False when it
    /// was not following.
    @discardableResult
    public mutating func leave(_ follower: TaskID) -> Bool {
        guard let leader = leaderOf.removeValue(forKey: follower) else { return false }
        followers[leader]?.removeAll { $0 == follower }
        return true
    }

    /// `leader` (of `key`) ended with `outcome`: who shares it and who starts afresh. The key has
    /// no leader afterwards.
    public mutating func leaderEnded(_ leader: TaskID, key: ResultCache.Key, outcome: TaskOutcome) -> Ending {
        if leaders[key] == leader { leaders[key] = nil }
        let waiting = followers.removeValue(forKey: leader) ?? []
        for follower in waiting { leaderOf[follower] = nil }
        return Self.isAnswerForTheInput(outcome) ? Ending(share: waiting) : Ending(restart: waiting)
    }

    /// Whether `outcome` is what the skill makes of the input, and so the same for every identical
    /// task: a success, or the skill's own refusal of the input.
    static func isAnswerForTheInput(_ outcome: TaskOutcome) -> Bool {
        switch outcome {
        case .success: true
        case .failure(let failure):
            switch failure.code {
            case .skillFailed, .invalidInput, .tooLarge: true
            case .timedOut, .cancelled, .noProvider, .allCandidatesFailed, .internal, .noQuorum, .queueFull: false
            }
        }
    }
}
