import GridCore
import GridTestKit
import Testing

@Suite struct DelegationMachineTests {
    let local = node(1)
    let t0 = ContinuousClock.now
    let policy = RetryPolicy(maxRetries: 3, backoff: .init(base: .milliseconds(100), cap: .seconds(1)), ackTimeout: .seconds(2))

    func task(timeout: Duration = .seconds(10), retryApplicationErrors: Bool = false) -> TaskSpec {
        var rng = SeededRandomNumberGenerator(seed: 1)
        return TaskSpec(
            id: .random(using: &rng), skill: skill("sha256"), input: Array("hi".utf8), timeout: timeout,
            retryApplicationErrors: retryApplicationErrors)
    }

    func machine(_ task: TaskSpec? = nil, seed: UInt64 = 7) -> DelegationMachine {
        DelegationMachine(task: task ?? self.task(), localNode: local, policy: policy, seed: seed)
    }

    /// The retry timer in `directives`, if any.
    func retryAt(_ directives: [DelegationMachine.Directive]) -> (attempt: Int, at: ContinuousClock.Instant)? {
        for case .scheduleTimer(.retry(let attempt), let at) in directives { return (attempt, at) }
        return nil
    }

    /// Fires the retry timer in `directives` and answers the `.route` it asks for with `candidates`.
    func retry(_ m: inout DelegationMachine, after directives: [DelegationMachine.Directive], candidates: [NodeID]) -> [DelegationMachine.Directive] {
        guard let (attempt, at) = retryAt(directives) else {
            Issue.record("expected a retry timer in \(directives)")
            return []
        }
        #expect(m.timerFired(.retry(attempt: attempt), now: at) == [.route])
        return m.routed(candidates, now: at)
    }

    // MARK: Starting

    @Test func noCandidatesFailsAtOnceNamingTheSkill() throws {
        var m = machine()
        let directives = m.start(candidates: [], now: t0)
        guard case .complete(.failure(let failure), executor: nil) = try #require(directives.first) else {
            Issue.record("expected a failure, got \(directives)")
            return
        }
        #expect(failure.code == .noProvider && failure.message.contains("'sha256'"))
        #expect(m.state == .finished)
    }

    @Test func aLocalCandidateRunsLocally() {
        var m = machine()
        #expect(m.start(candidates: [local, node(2)], now: t0) == [.scheduleTimer(.deadline, at: t0 + .seconds(10)), .executeLocally])
        #expect(m.localCompleted(.success(output: [1]), now: t0 + .milliseconds(3)) == [
            .recordExperience(node: local, .success, latency: .milliseconds(3)), .complete(.success(output: [1]), executor: local),
        ])
    }

    @Test func aRemoteCandidateGetsTheRequestAndAnAckTimer() {
        var m = machine()
        #expect(m.start(candidates: [node(2)], now: t0) == [
            .scheduleTimer(.deadline, at: t0 + .seconds(10)), .sendRequest(to: node(2), deadline: .seconds(10)),
            .scheduleTimer(.ackTimeout(attempt: 0), at: t0 + .seconds(2)),
        ])
        #expect(m.ackReceived(from: node(2), refusal: nil, now: t0 + .milliseconds(1)).isEmpty)
        #expect(m.state == .awaitingResult(node(2)))
        #expect(m.timerFired(.ackTimeout(attempt: 0), now: t0 + .seconds(2)).isEmpty, "acked: the ack timer is stale")
        #expect(m.resultReceived(from: node(2), .success(output: [7]), now: t0 + .milliseconds(40)) == [
            .recordExperience(node: node(2), .success, latency: .milliseconds(40)), .complete(.success(output: [7]), executor: node(2)),
        ])
        #expect(m.resultReceived(from: node(2), .success(output: [7]), now: t0 + .milliseconds(41)).isEmpty, "a duplicate is ignored")
    }

    @Test func aPeersOwnAckTimeoutIsUsed() {
        var m = machine()
        let directives = m.start(candidates: [node(2)], ackTimeouts: [node(2): .milliseconds(300)], now: t0)
        #expect(directives.last == .scheduleTimer(.ackTimeout(attempt: 0), at: t0 + .milliseconds(300)))
    }

    // MARK: Retries

    @Test func aRefusingPeerIsRetriedElsewhereAfterABackoffFromTheSeededGenerator() {
        var m = machine(seed: 42)
        _ = m.start(candidates: [node(2), node(3)], now: t0)
        let refused = m.ackReceived(from: node(2), refusal: .transient("expired"), now: t0 + .milliseconds(5))
        // The delay is the backoff's full-jitter draw from the machine's own SplitMix64(42).
        var expected = SplitMix64(seed: 42)
        let delay = policy.backoff.delay(attempt: 0, using: &expected)
        #expect(refused == [
            .recordExperience(node: node(2), .refusal, latency: nil), .scheduleTimer(.retry(attempt: 1), at: t0 + .milliseconds(5) + delay),
        ])
        #expect(m.state == .retrying)
        let next = retry(&m, after: refused, candidates: [node(2), node(3)])
        #expect(next.first == .sendRequest(to: node(3), deadline: t0.advanced(by: .seconds(10)) - (t0 + .milliseconds(5) + delay)))
        #expect(m.attempts == [.init(node: node(2), result: "refused: expired", latency: .milliseconds(5))])
    }

    @Test func backoffsGrowAndStayWithinTheirCeilings() {
        for seed in 0..<50 as Range<UInt64> {
            var m = machine(seed: seed)
            _ = m.start(candidates: [node(2)], now: t0)
            var now = t0
            var directives = m.peerLost(node(2), now: now)
            for retry in 0..<3 {
                guard let (_, at) = retryAt(directives) else {
                    Issue.record("retry \(retry) not scheduled: \(directives)")
                    return
                }
                #expect(now.duration(to: at) <= policy.backoff.ceiling(attempt: retry))
                now = at
                _ = m.timerFired(.retry(attempt: retry + 1), now: now)
                _ = m.routed([node(2)], now: now)
                directives = m.peerLost(node(2), now: now)
            }
        }
    }

    @Test func neverAgainOnANodeThatFailedWhileAnotherIsLeft() {
        var m = machine()
        _ = m.start(candidates: [node(2), node(3), node(4)], now: t0)
        var directives = m.peerLost(node(2), now: t0)
        directives = retry(&m, after: directives, candidates: [node(2), node(3), node(4)])
        #expect(directives.first.flatMap { if case .sendRequest(let to, _) = $0 { to } else { nil } } == node(3))
        var ackBy: ContinuousClock.Instant?
        for case .scheduleTimer(.ackTimeout(attempt: 1), let at) in directives { ackBy = at }
        guard let ackBy else {
            Issue.record("expected an ack timer for the second attempt in \(directives)")
            return
        }
        // Node 3 never acks: it is told to drop the task, and counts a timeout.
        directives = m.timerFired(.ackTimeout(attempt: 1), now: ackBy)
        #expect(Array(directives.prefix(2)) == [
            .recordExperience(node: node(3), .timeout, latency: nil), .cancelRemote(node(3), reason: "no ack within 2 s"),
        ])
        // The ranking now puts the failed nodes first; node 4 is still chosen.
        directives = retry(&m, after: directives, candidates: [node(3), node(2), node(4)])
        #expect(directives.first.flatMap { if case .sendRequest(let to, _) = $0 { to } else { nil } } == node(4))
    }

    @Test func whenEveryNodeHasFailedTheOneThatFailedLongestAgoIsRetried() {
        var m = machine()
        _ = m.start(candidates: [node(2), node(3)], now: t0)
        var directives = m.peerLost(node(2), now: t0)
        directives = retry(&m, after: directives, candidates: [node(2), node(3)])
        directives = m.peerLost(node(3), now: t0 + .seconds(1))
        directives = retry(&m, after: directives, candidates: [node(3), node(2)])
        #expect(directives.first.flatMap { if case .sendRequest(let to, _) = $0 { to } else { nil } } == node(2))
    }

    @Test func afterTheLastRetryTheFailureListsEveryAttempt() throws {
        var m = machine()
        _ = m.start(candidates: [node(2), node(3)], now: t0)
        var directives = m.ackReceived(from: node(2), refusal: .transient("unknown reason"), now: t0)
        for peer in [node(3), node(2), node(3)] {
            directives = retry(&m, after: directives, candidates: [node(2), node(3)])
            directives = m.peerLost(peer, now: t0 + .seconds(1))
        }
        guard case .complete(.failure(let failure), nil) = try #require(directives.last) else {
            Issue.record("expected the final failure, got \(directives)")
            return
        }
        #expect(failure.code == .allCandidatesFailed)
        #expect(failure.message.contains("4 attempts failed"))
        #expect(failure.message.contains("\(node(2).short): refused: unknown reason"))
        #expect(failure.message.contains("\(node(3).short): connection lost"))
        #expect(m.attempts.count == 4)
    }

    @Test func anApplicationErrorIsFinalUnlessTheTaskAsks() {
        var m = machine()
        _ = m.start(candidates: [node(2), node(3)], now: t0)
        #expect(m.resultReceived(from: node(2), .failure(.init(.skillFailed, "no")), now: t0 + .milliseconds(5)) == [
            .recordExperience(node: node(2), .applicationError, latency: .milliseconds(5)),
            .complete(.failure(.init(.skillFailed, "no")), executor: node(2)),
        ])
        var asks = machine(task(retryApplicationErrors: true))
        _ = asks.start(candidates: [node(2), node(3)], now: t0)
        let directives = asks.resultReceived(from: node(2), .failure(.init(.skillFailed, "no")), now: t0 + .milliseconds(5))
        #expect(directives.first == .recordExperience(node: node(2), .applicationError, latency: .milliseconds(5)))
        #expect(retryAt(directives) != nil)
    }

    @Test(arguments: [
        (TaskFailure.Code.internal, true), (.skillFailed, false), (.invalidInput, false), (.timedOut, false), (.cancelled, false),
    ])
    func whichExecutorFailuresAreRetried(code: TaskFailure.Code, retried: Bool) {
        var m = machine()
        _ = m.start(candidates: [node(2), node(3)], now: t0)
        let directives = m.resultReceived(from: node(2), .failure(.init(code, "x")), now: t0 + .milliseconds(5))
        #expect((retryAt(directives) != nil) == retried)
    }

    @Test func anOverdueResultIsRetriedElsewhereWhileTimeIsLeft() {
        var m = machine(task(timeout: .seconds(60)))
        _ = m.start(candidates: [node(2), node(3)], resultTimeouts: [node(2): .seconds(10)], now: t0)
        #expect(m.ackReceived(from: node(2), refusal: nil, now: t0 + .milliseconds(1)) == [
            .scheduleTimer(.resultTimeout(attempt: 0), at: t0 + .seconds(10)),
        ])
        let overdue = m.timerFired(.resultTimeout(attempt: 0), now: t0 + .seconds(10))
        #expect(Array(overdue.prefix(2)) == [
            .recordExperience(node: node(2), .timeout, latency: nil), .cancelRemote(node(2), reason: "no result within 10 s"),
        ])
        let next = retry(&m, after: overdue, candidates: [node(2), node(3)])
        #expect(next.first.flatMap { if case .sendRequest(let to, _) = $0 { to } else { nil } } == node(3))
        // A peer with no record, or a timeout past the deadline, sets no result timer.
        var unknown = machine(task(timeout: .seconds(5)))
        _ = unknown.start(candidates: [node(2)], resultTimeouts: [node(2): .seconds(10)], now: t0)
        #expect(unknown.ackReceived(from: node(2), refusal: nil, now: t0).isEmpty)
    }

    // MARK: Waiting for capacity

    @Test func aBusyRefusalWaitsForCapacityWithoutSpendingARetryOrBlamingThePeer() {
        var m = machine()
        _ = m.start(candidates: [node(2), node(3)], now: t0)
        let busy = m.ackReceived(from: node(2), refusal: .busy("busy: queue full"), now: t0 + .milliseconds(5))
        #expect(busy == [.peerBusy(node(2)), .awaitCapacity])
        #expect(m.state == .waitingForCapacity)
        #expect(m.attempts.isEmpty, "a busy node has not failed the task")
        // Placed again when a node has room: the busy one, which did not fail, is as good as any.
        let placed = m.routed([node(2)], now: t0 + .seconds(1))
        #expect(placed.first == .sendRequest(to: node(2), deadline: .seconds(9)))
    }

    @Test func aFullQueueInTheResultAlsoWaits() {
        var m = machine()
        _ = m.start(candidates: [local], now: t0)
        #expect(m.localCompleted(.failure(.init(.queueFull, "the task queue for low priority is full")), now: t0) == [
            .peerBusy(local), .awaitCapacity,
        ])
        #expect(m.state == .waitingForCapacity)
    }

    @Test func withNoNodeWithRoomButBusyProvidersTheTaskWaitsFromTheStart() {
        var m = machine()
        let deadline = t0 + .seconds(4)
        #expect(m.start(candidates: [], providersBusy: true, deadline: deadline, now: t0) == [
            .scheduleTimer(.deadline, at: deadline), .awaitCapacity,
        ])
        // Still no room: it keeps waiting; room: it goes.
        #expect(m.routed([], providersBusy: true, now: t0 + .seconds(1)) == [.awaitCapacity])
        #expect(m.routed([node(3)], now: t0 + .seconds(2)).first == .sendRequest(to: node(3), deadline: .seconds(2)))
    }

    @Test func aRetryWithOnlyBusyProvidersLeftWaitsInsteadOfFailing() {
        var m = machine()
        _ = m.start(candidates: [node(2)], now: t0)
        let lost = m.peerLost(node(2), now: t0 + .milliseconds(10))
        guard let (attempt, at) = retryAt(lost) else {
            Issue.record("expected a retry, got \(lost)")
            return
        }
        #expect(m.timerFired(.retry(attempt: attempt), now: at) == [.route])
        // node 2 is gone and node 3's window is full: wait, do not fail "no node left to try".
        #expect(m.routed([], providersBusy: true, now: at) == [.awaitCapacity])
        #expect(m.routed([node(3)], now: at + .seconds(1)).first == .sendRequest(to: node(3), deadline: t0 + .seconds(10) - (at + .seconds(1))))
    }

    @Test func theDeadlineEndsTheWaitSayingItWaitedForCapacity() throws {
        var m = machine()
        _ = m.start(candidates: [node(2)], now: t0)
        _ = m.ackReceived(from: node(2), refusal: .busy("busy: 4 running"), now: t0 + .milliseconds(5))
        let directives = m.timerFired(.deadline, now: t0 + .seconds(10))
        guard case .complete(.failure(let failure), nil) = try #require(directives.last) else {
            Issue.record("expected a failure, got \(directives)")
            return
        }
        #expect(failure.code == .timedOut)
        #expect(failure.message.contains("waited 9995 ms for a node with room to run 'sha256'"))
        #expect(failure.message.contains("1 busy refusals, the last from \(node(2).short): busy: 4 running"))
        #expect(!directives.contains { if case .cancelRemote = $0 { true } else { false } }, "no node holds it")
    }

    @Test func aTaskWaitingForCapacityCanBeCancelled() throws {
        var m = machine()
        _ = m.start(candidates: [], providersBusy: true, now: t0)
        guard case .complete(.failure(let failure), nil) = try #require(m.cancel(now: t0 + .seconds(1)).last) else {
            Issue.record("expected the cancellation")
            return
        }
        #expect(failure.code == .cancelled)
    }

    @Test func aRefusalThatCannotChangeRulesTheNodeOutForTheTask() throws {
        var m = machine()
        _ = m.start(candidates: [node(2), node(3)], now: t0)
        let refused = m.ackReceived(from: node(2), refusal: .permanent("too large: input is 2 MiB"), now: t0)
        #expect(refused.first == .recordExperience(node: node(2), .refusal, latency: nil))
        // node 3 fails; node 2 is offered again but never asked again: no node is left.
        var directives = retry(&m, after: refused, candidates: [node(2), node(3)])
        #expect(directives.first.flatMap { if case .sendRequest(let to, _) = $0 { to } else { nil } } == node(3))
        directives = m.peerLost(node(3), now: t0 + .seconds(1))
        directives = retry(&m, after: directives, candidates: [node(2)])
        guard case .complete(.failure(let failure), nil) = try #require(directives.last) else {
            Issue.record("expected a failure, got \(directives)")
            return
        }
        #expect(failure.code == .allCandidatesFailed && failure.message.contains("left to try"))
    }

    @Test func noRetryWhenItCouldNotStartBeforeTheDeadline() throws {
        var m = DelegationMachine(
            task: task(timeout: .milliseconds(100)), localNode: local,
            policy: RetryPolicy(backoff: .init(base: .seconds(1), cap: .seconds(1))), seed: 3)
        _ = m.start(candidates: [node(2), node(3)], now: t0)
        let directives = m.peerLost(node(2), now: t0 + .milliseconds(99))
        // A draw of 0 could still fit; with this seed it does not.
        guard case .complete(.failure(let failure), nil) = try #require(directives.last) else {
            Issue.record("expected a failure, got \(directives)")
            return
        }
        #expect(failure.message.contains("no time is left for a retry"))
    }

    // MARK: Deadline and cancel

    @Test func theDeadlineFailsTheTaskOnlyOnceItHasPassed() throws {
        var m = machine(task(timeout: .milliseconds(1500)))
        _ = m.start(candidates: [node(2)], now: t0)
        _ = m.ackReceived(from: node(2), refusal: nil, now: t0)
        #expect(m.timerFired(.deadline, now: t0 + .milliseconds(1499)).isEmpty)
        let expired = m.timerFired(.deadline, now: t0 + .milliseconds(1500))
        #expect(Array(expired.prefix(2)) == [
            .recordExperience(node: node(2), .timeout, latency: nil), .cancelRemote(node(2), reason: "the requester's deadline passed"),
        ])
        guard case .complete(.failure(let failure), nil) = try #require(expired.last) else {
            Issue.record("expected a timeout, got \(expired)")
            return
        }
        #expect(failure.code == .timedOut && failure.message.contains("1500 ms"))
        #expect(m.resultReceived(from: node(2), .success(output: []), now: t0 + .seconds(2)).isEmpty)
    }

    @Test func aLocalRunPastTheDeadlineCountsAsALocalTimeout() {
        var m = machine(task(timeout: .seconds(1)))
        _ = m.start(candidates: [local], now: t0)
        #expect(m.timerFired(.deadline, now: t0 + .seconds(1)).first == .recordExperience(node: local, .timeout, latency: nil))
        #expect(m.localCompleted(.success(output: []), now: t0 + .seconds(2)).isEmpty)
    }

    @Test func cancellingInFlightTellsThePeerAndEndsTheTask() throws {
        var m = machine()
        _ = m.start(candidates: [node(2)], now: t0)
        _ = m.ackReceived(from: node(2), refusal: nil, now: t0)
        let directives = m.cancel(now: t0 + .seconds(1))
        #expect(directives.first == .cancelRemote(node(2), reason: "the application cancelled the task"))
        guard case .complete(.failure(let failure), nil) = try #require(directives.last) else {
            Issue.record("expected a cancellation, got \(directives)")
            return
        }
        #expect(failure.code == .cancelled)
        #expect(m.cancel(now: t0 + .seconds(2)).isEmpty, "only once")
    }

    @Test func handedBackAtAStopTheTaskTellsItsPeerAndEndsWithNoOutcome() {
        var remote = machine()
        _ = remote.start(candidates: [node(2)], now: t0)
        _ = remote.ackReceived(from: node(2), refusal: nil, now: t0)
        #expect(remote.handBack(now: t0) == [
            .cancelRemote(node(2), reason: "the requester is shutting down; it sends the task again when it restarts"),
        ])
        #expect(remote.resultReceived(from: node(2), .success(output: []), now: t0).isEmpty, "nothing after it")
        var waiting = machine()
        _ = waiting.start(candidates: [], providersBusy: true, now: t0)
        #expect(waiting.handBack(now: t0).isEmpty, "no one to tell; no complete: it stays journaled")
        #expect(waiting.state == .finished)
    }

    @Test func eventsFromOtherPeersAndStaleTimersAreIgnored() {
        var m = machine()
        _ = m.start(candidates: [node(2)], now: t0)
        #expect(m.ackReceived(from: node(3), refusal: nil, now: t0).isEmpty)
        #expect(m.resultReceived(from: node(3), .success(output: []), now: t0).isEmpty)
        #expect(m.peerLost(node(3), now: t0).isEmpty)
        #expect(m.timerFired(.ackTimeout(attempt: 5), now: t0 + .seconds(3)).isEmpty)
        #expect(m.timerFired(.retry(attempt: 1), now: t0 + .seconds(3)).isEmpty)
        #expect(m.routed([node(3)], now: t0).isEmpty, "not retrying: a ranking is not asked for")
        #expect(m.state == .awaitingAck(node(2)))
    }

    @Test func aResultBeforeItsAckCountsAsBoth() {
        var m = machine()
        _ = m.start(candidates: [node(2)], now: t0)
        #expect(m.resultReceived(from: node(2), .success(output: [1]), now: t0 + .milliseconds(5)) == [
            .recordExperience(node: node(2), .success, latency: .milliseconds(5)), .complete(.success(output: [1]), executor: node(2)),
        ])
    }
}

extension Array where Element == DelegationMachine.Directive {
    /// The deadline of the request in these directives.
    var sendDeadline: Duration? {
        for case .sendRequest(_, let deadline) in self { return deadline }
        return nil
    }
}
