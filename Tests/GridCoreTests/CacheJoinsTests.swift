import GridCore
import Testing

@Suite struct CacheJoinsTests {
    let key = ResultCache.Key(skill: try! SkillID("sha256"), inputDigest: [1, 2, 3])
    let other = ResultCache.Key(skill: try! SkillID("sha256"), inputDigest: [9])

    @Test func theFirstLeadsAndIdenticalOnesFollowIt() {
        var joins = CacheJoins()
        let arrivals = [joins.arrive(id(1), key: key), joins.arrive(id(2), key: key), joins.arrive(id(3), key: other)]
        #expect(arrivals == [.lead, .follow(leader: id(1)), .lead], "another input runs on its own")
        #expect(joins.isFollower(id(2)) && !joins.isFollower(id(1)))
    }

    static let endings: [(TaskOutcome, shared: Bool)] = [
        (.success(output: [7]), true),
        (.failure(TaskFailure(.skillFailed, "no")), true),
        (.failure(TaskFailure(.invalidInput, "bad")), true),
        (.failure(TaskFailure(.tooLarge, "big")), true),
        (.failure(TaskFailure(.cancelled, "the application cancelled it")), false),
        (.failure(TaskFailure(.timedOut, "its deadline")), false),
        (.failure(TaskFailure(.noProvider, "none")), false),
        (.failure(TaskFailure(.allCandidatesFailed, "all")), false),
        (.failure(TaskFailure(.internal, "oops")), false),
        (.failure(TaskFailure(.noQuorum, "split")), false),
    ]

    @Test(arguments: endings) func followersShareOnlyTheSkillsAnswer(_ outcome: TaskOutcome, shared: Bool) {
        var joins = CacheJoins()
        _ = joins.arrive(id(1), key: key)
        _ = joins.arrive(id(2), key: key)
        _ = joins.arrive(id(3), key: key)
        let ending = joins.leaderEnded(id(1), key: key, outcome: outcome)
        #expect(ending == (shared ? .init(share: [id(2), id(3)]) : .init(restart: [id(2), id(3)])))
        #expect(!joins.isFollower(id(2)) && !joins.isFollower(id(3)))
        let (second, third) = (joins.arrive(id(2), key: key), joins.arrive(id(3), key: key))
        #expect(second == .lead, "restarted, the first of them leads")
        #expect(third == .follow(leader: id(2)))
    }

    @Test func aFollowerThatLeavesTouchesNoOne() {
        var joins = CacheJoins()
        _ = joins.arrive(id(1), key: key)
        _ = joins.arrive(id(2), key: key)
        _ = joins.arrive(id(3), key: key)
        let (left, again, leader) = (joins.leave(id(2)), joins.leave(id(2)), joins.leave(id(1)))
        #expect(left && !again, "once")
        #expect(!leader, "the leader is no follower")
        let ending = joins.leaderEnded(id(1), key: key, outcome: .success(output: [1]))
        #expect(ending == .init(share: [id(3)]))
    }

    func id(_ n: UInt8) -> TaskID { try! TaskID(bytes: [UInt8](repeating: n, count: 16)) }
}
