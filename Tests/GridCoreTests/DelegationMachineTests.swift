import GridCore
import GridTestKit
import Testing

@Suite struct DelegationMachineTests {
    let local = node(1)
    let t0 = ContinuousClock.now

    func task(timeout: Duration = .seconds(10)) -> TaskSpec {
        var rng = SeededRandomNumberGenerator(seed: 1)
        return TaskSpec(id: .random(using: &rng), skill: skill("sha256"), input: Array("hi".utf8), timeout: timeout)
    }

    @Test func noCandidatesFailsAtOnceNamingTheSkill() throws {
        var machine = DelegationMachine(task: task(), localNode: local)
        let directives = machine.start(candidates: [], now: t0)
        guard case .complete(.failure(let failure), executor: nil) = try #require(directives.first) else {
            Issue.record("expected a failure, got \(directives)")
            return
        }
        #expect(failure.code == .noProvider)
        #expect(failure.message.contains("'sha256'"))
        #expect(machine.state == .finished)
    }

    @Test func localCandidateRunsLocally() {
        var machine = DelegationMachine(task: task(), localNode: local)
        #expect(machine.start(candidates: [local, node(2)], now: t0) == [.scheduleDeadline(at: t0 + .seconds(10)), .executeLocally])
        let done = machine.localCompleted(.success(output: [1]), now: t0 + .milliseconds(3))
        #expect(done == [
            .recordExperience(node: local, .success, latency: .milliseconds(3)), .complete(.success(output: [1]), executor: local),
        ])
    }

    @Test func remoteAckThenResult() {
        var machine = DelegationMachine(task: task(), localNode: local)
        #expect(machine.start(candidates: [node(2)], now: t0) == [
            .scheduleDeadline(at: t0 + .seconds(10)), .sendRequest(to: node(2), deadline: .seconds(10)),
        ])
        #expect(machine.ackReceived(from: node(2), accepted: true, reason: "", now: t0 + .milliseconds(1)).isEmpty)
        #expect(machine.state == .awaitingResult(node(2)))
        #expect(machine.resultReceived(from: node(2), .success(output: [7]), now: t0 + .milliseconds(40)) == [
            .recordExperience(node: node(2), .success, latency: .milliseconds(40)),
            .complete(.success(output: [7]), executor: node(2)),
        ])
        // A duplicate result after completion is ignored.
        #expect(machine.resultReceived(from: node(2), .success(output: [7]), now: t0 + .milliseconds(41)).isEmpty)
    }

    @Test func refusalMovesToTheNextCandidateWithTheTimeLeft() {
        var machine = DelegationMachine(task: task(), localNode: local)
        _ = machine.start(candidates: [node(2), node(3)], now: t0)
        let next = machine.ackReceived(from: node(2), accepted: false, reason: "busy", now: t0 + .seconds(1))
        #expect(next == [.recordExperience(node: node(2), .refusal, latency: nil), .sendRequest(to: node(3), deadline: .seconds(9))])
        #expect(machine.attempts == [.init(node: node(2), result: "refused: busy")])
    }

    @Test func lostPeerMovesOnAndLastFailureListsEveryAttempt() throws {
        var machine = DelegationMachine(task: task(), localNode: local)
        _ = machine.start(candidates: [node(2), node(3)], now: t0)
        _ = machine.ackReceived(from: node(2), accepted: true, reason: "", now: t0)
        #expect(machine.peerLost(node(2), now: t0) == [
            .recordExperience(node: node(2), .failure, latency: nil), .sendRequest(to: node(3), deadline: .seconds(10)),
        ])
        let last = machine.ackReceived(from: node(3), accepted: false, reason: "unknown skill", now: t0)
        #expect(last.first == .recordExperience(node: node(3), .refusal, latency: nil))
        guard case .complete(.failure(let failure), nil) = try #require(last.last) else {
            Issue.record("expected failure, got \(last)")
            return
        }
        #expect(failure.code == .allCandidatesFailed)
        #expect(failure.message.contains("\(node(2).short): connection lost"))
        #expect(failure.message.contains("\(node(3).short): refused: unknown skill"))
    }

    @Test func eventsFromOtherPeersAreIgnored() {
        var machine = DelegationMachine(task: task(), localNode: local)
        _ = machine.start(candidates: [node(2)], now: t0)
        #expect(machine.ackReceived(from: node(3), accepted: true, reason: "", now: t0).isEmpty)
        #expect(machine.resultReceived(from: node(3), .success(output: []), now: t0).isEmpty)
        #expect(machine.peerLost(node(3), now: t0).isEmpty)
        #expect(machine.state == .awaitingAck(node(2)))
    }

    @Test func deadlineFailsTheTaskOnlyOnceItHasPassed() throws {
        var machine = DelegationMachine(task: task(timeout: .milliseconds(1500)), localNode: local)
        _ = machine.start(candidates: [node(2)], now: t0)
        #expect(machine.deadlineExpired(now: t0 + .milliseconds(1499)).isEmpty)
        let expired = machine.deadlineExpired(now: t0 + .milliseconds(1500))
        #expect(Array(expired.prefix(2)) == [.recordExperience(node: node(2), .timeout, latency: nil), .cancelRemote(node(2))])
        guard case .complete(.failure(let failure), nil) = try #require(expired.last) else {
            Issue.record("expected a timeout, got \(expired)")
            return
        }
        #expect(failure.code == .timedOut)
        #expect(failure.message.contains("1500 ms"))
        #expect(machine.resultReceived(from: node(2), .success(output: []), now: t0 + .seconds(2)).isEmpty)
    }

    @Test func aResultBeforeItsAckCountsAsBoth() {
        var machine = DelegationMachine(task: task(), localNode: local)
        _ = machine.start(candidates: [node(2)], now: t0)
        #expect(machine.resultReceived(from: node(2), .failure(.init(.skillFailed, "no")), now: t0 + .milliseconds(5)) == [
            .recordExperience(node: node(2), .applicationError, latency: .milliseconds(5)),
            .complete(.failure(.init(.skillFailed, "no")), executor: node(2)),
        ])
    }

    @Test(arguments: [
        (TaskFailure.Code.skillFailed, ExperienceOutcome.applicationError), (.invalidInput, .applicationError),
        (.internal, .failure), (.timedOut, .timeout), (.cancelled, .failure),
    ])
    func aRemoteFailureCountsAsTheExperienceItShows(code: TaskFailure.Code, expected: ExperienceOutcome) {
        var machine = DelegationMachine(task: task(), localNode: local)
        _ = machine.start(candidates: [node(2)], now: t0)
        let directives = machine.resultReceived(from: node(2), .failure(.init(code, "x")), now: t0 + .milliseconds(5))
        guard case .recordExperience(node(2), let outcome, _)? = directives.first else {
            Issue.record("expected experience first, got \(directives)")
            return
        }
        #expect(outcome == expected)
    }

    @Test func aLocalRunPastTheDeadlineCountsAsALocalTimeout() {
        var machine = DelegationMachine(task: task(timeout: .seconds(1)), localNode: local)
        _ = machine.start(candidates: [local], now: t0)
        let expired = machine.deadlineExpired(now: t0 + .seconds(1))
        #expect(expired.first == .recordExperience(node: local, .timeout, latency: nil))
        #expect(machine.localCompleted(.success(output: []), now: t0 + .seconds(2)).isEmpty)
    }
}
