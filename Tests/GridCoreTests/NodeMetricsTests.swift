import Foundation
@testable import GridCore
import Testing

/// `NodeMetrics`, its snapshot and its two exports. Every test is pure: the metrics are fed events
/// and durations, never a clock. (One parent suite, so `--filter NodeMetricsTests` runs them all.)
@Suite enum NodeMetricsTests {}

/// A node with a little of everything, bounded to one peer and one skill so each "other" entry
/// fills: sha256 and peer ab have entries of their own, echo and peer cd go to "other".
private func smallNodeMetrics() -> NodeMetrics {
    var metrics = NodeMetrics(settings: MetricsSettings(maxPeers: 1, maxSkills: 1, maxSkillLatencies: 1))
    metrics.submitted(skill: skill("sha256"))
    metrics.submitted(skill: skill("echo"))
    metrics.delegated(skill: skill("sha256"), peer: node(0xab))
    metrics.completed(
        skill: skill("sha256"), executor: node(0xab), isLocal: false, endToEnd: .microseconds(1_500),
        execution: .microseconds(700))
    metrics.refused(skill: skill("echo"), peer: node(0xcd))
    metrics.failed(skill: skill("echo"), reason: .timedOut, executor: node(0xcd), endToEnd: .seconds(2))
    metrics.setQueueDepth([.high: 3])
    metrics.setInFlight([node(0xab): 2])
    return metrics
}

extension NodeMetricsTests {
    @Suite struct Counting {
        let sha = skill("sha256")
        let echo = skill("echo")

        @Test func defaultSettings() {
            let settings = MetricsSettings.default
            #expect(settings.maxPeers == 1_000)
            #expect(settings.maxSkills == 1_000)
            #expect(settings.maxSkillLatencies == 32)
            #expect(NodeMetrics().settings == settings)
        }

        @Test func anEmptyNodeHasZerosAndNoRate() {
            let snapshot = NodeMetrics().snapshot(uptime: nil)
            #expect(snapshot == MetricsSnapshot())
            #expect(snapshot.successRate == nil)
            #expect(snapshot.latency == LatencySummaries(execution: nil, endToEnd: nil))
        }

        /// Each input alone, and the counters it moves in total, for its skill and for its peer.
        @Test(arguments: [
            ("submitted", TaskCounters(submitted: 1), PeerTaskCounters?.none),
            ("completed here", TaskCounters(completed: 1), nil),
            ("completed by peer", TaskCounters(completed: 1), PeerTaskCounters(completed: 1)),
            ("failed here", TaskCounters(failed: 1), nil),
            ("failed at peer", TaskCounters(failed: 1), PeerTaskCounters(failed: 1)),
            ("timed out at peer", TaskCounters(failed: 1, timedOut: 1), PeerTaskCounters(failed: 1, timedOut: 1)),
            ("retried here", TaskCounters(retried: 1), nil),
            ("retried after peer", TaskCounters(retried: 1), PeerTaskCounters(retried: 1)),
            ("refused", TaskCounters(refused: 1), PeerTaskCounters(refused: 1)),
            ("executed locally", TaskCounters(executedLocally: 1), nil),
            ("delegated", TaskCounters(delegated: 1), PeerTaskCounters(delegated: 1)),
        ])
        func eachInputCountsInTotalPerSkillAndPerPeer(event: String, counters: TaskCounters, peer: PeerTaskCounters?) {
            var metrics = NodeMetrics()
            let p = node(7)
            switch event {
            case "submitted": metrics.submitted(skill: sha)
            case "completed here":
                metrics.completed(skill: sha, executor: node(1), isLocal: true, endToEnd: .milliseconds(2), execution: nil)
            case "completed by peer":
                metrics.completed(skill: sha, executor: p, isLocal: false, endToEnd: .milliseconds(2), execution: nil)
            case "failed here": metrics.failed(skill: sha, reason: .skillFailed, executor: nil, endToEnd: .milliseconds(2))
            case "failed at peer": metrics.failed(skill: sha, reason: .internal, executor: p, endToEnd: .milliseconds(2))
            case "timed out at peer": metrics.failed(skill: sha, reason: .timedOut, executor: p, endToEnd: .seconds(30))
            case "retried here": metrics.retried(skill: sha, peer: nil)
            case "retried after peer": metrics.retried(skill: sha, peer: p)
            case "refused": metrics.refused(skill: sha, peer: p)
            case "executed locally": metrics.executedLocally(skill: sha)
            case "delegated": metrics.delegated(skill: sha, peer: p)
            default: Issue.record("unknown event \(event)")
            }
            let snapshot = metrics.snapshot(uptime: nil)
            #expect(snapshot.tasks == counters)
            #expect(snapshot.skills == [MetricsSnapshot.Skill(skill: "sha256", tasks: counters)])
            #expect(snapshot.peers == (peer.map { [MetricsSnapshot.Peer(peer: p.hex, tasks: $0)] } ?? []))
            #expect(snapshot.otherSkills == nil)
            #expect(snapshot.otherPeers == nil)
        }

        @Test func countsAddUpAcrossSkillsAndPeers() {
            var metrics = NodeMetrics()
            let (a, b) = (node(1), node(2))
            for _ in 0..<3 { metrics.submitted(skill: sha) }
            metrics.submitted(skill: echo)
            metrics.delegated(skill: sha, peer: a)
            metrics.refused(skill: sha, peer: a)
            metrics.retried(skill: sha, peer: a)
            metrics.delegated(skill: sha, peer: b)
            metrics.completed(
                skill: sha, executor: b, isLocal: false, endToEnd: .milliseconds(9), execution: .milliseconds(4))
            metrics.delegated(skill: sha, peer: b)
            metrics.failed(skill: sha, reason: .timedOut, executor: b, endToEnd: .seconds(5))
            metrics.executedLocally(skill: sha)
            metrics.failed(skill: sha, reason: .skillFailed, executor: nil, endToEnd: .milliseconds(1))
            metrics.executedLocally(skill: echo)
            metrics.completed(
                skill: echo, executor: node(9), isLocal: true, endToEnd: .microseconds(300), execution: .microseconds(100))

            let snapshot = metrics.snapshot(uptime: nil)
            #expect(snapshot.tasks == TaskCounters(
                submitted: 4, completed: 2, failed: 2, timedOut: 1, retried: 1, refused: 1, executedLocally: 2,
                delegated: 3))
            #expect(snapshot.skills == [
                .init(skill: "echo", tasks: TaskCounters(submitted: 1, completed: 1, executedLocally: 1)),
                .init(skill: "sha256", tasks: TaskCounters(
                    submitted: 3, completed: 1, failed: 2, timedOut: 1, retried: 1, refused: 1, executedLocally: 1,
                    delegated: 3)),
            ])
            #expect(snapshot.peers == [
                .init(peer: a.hex, tasks: PeerTaskCounters(delegated: 1, refused: 1, retried: 1)),
                .init(peer: b.hex, tasks: PeerTaskCounters(delegated: 2, completed: 1, failed: 1, timedOut: 1)),
            ])
            #expect(snapshot.failedByReason == [
                .init(reason: "skill_failed", count: 1), .init(reason: "timed_out", count: 1),
            ])
        }

        @Test func successRateIsCompletedOverEnded() {
            var metrics = NodeMetrics()
            metrics.submitted(skill: sha)
            #expect(metrics.snapshot(uptime: nil).successRate == nil)
            for _ in 0..<3 {
                metrics.completed(skill: sha, executor: node(1), isLocal: true, endToEnd: .milliseconds(1), execution: nil)
            }
            #expect(metrics.snapshot(uptime: nil).successRate == 1)
            metrics.failed(skill: sha, reason: .timedOut, executor: nil, endToEnd: .seconds(1))
            #expect(metrics.snapshot(uptime: nil).successRate == 0.75)
            metrics.failed(skill: echo, reason: .noProvider, executor: nil, endToEnd: .microseconds(10))
            #expect(metrics.snapshot(uptime: nil).successRate == 0.6)
        }

        @Test func gaugesAreReplacedNotAdded() {
            var metrics = NodeMetrics()
            metrics.setQueueDepth([.low: 4, .critical: 1])
            metrics.setQueueDepth([.normal: 2, .high: 3])
            metrics.setInFlight([node(2): 5, node(1): 1])
            metrics.setInFlight([node(3): 2, node(1): 4])
            let snapshot = metrics.snapshot(uptime: .milliseconds(90_061))
            #expect(snapshot.queueDepth == MetricsSnapshot.QueueDepth(low: 0, normal: 2, high: 3, critical: 0))
            #expect(snapshot.inFlight == [.init(peer: node(1).hex, tasks: 4), .init(peer: node(3).hex, tasks: 2)])
            #expect(snapshot.otherInFlight == nil)
            #expect(snapshot.uptimeMs == 90_061)
        }

        @Test func uptimeIsWholeMilliseconds() {
            let metrics = NodeMetrics()
            #expect(metrics.snapshot(uptime: .microseconds(1_999)).uptimeMs == 1)
            #expect(metrics.snapshot(uptime: .seconds(-3)).uptimeMs == 0)
            #expect(metrics.snapshot(uptime: nil).uptimeMs == nil)
        }
    }
}

extension NodeMetricsTests {
    @Suite struct Bounds {
        @Test func skillsBeyondTheBoundShareTheOtherEntry() {
            var metrics = NodeMetrics(settings: MetricsSettings(maxSkills: 2))
            for name in ["b", "a", "c", "d", "a", "c"] {
                metrics.submitted(skill: skill(name))
            }
            let snapshot = metrics.snapshot(uptime: nil)
            #expect(snapshot.tasks.submitted == 6)
            #expect(snapshot.skills == [
                .init(skill: "a", tasks: TaskCounters(submitted: 2)), .init(skill: "b", tasks: TaskCounters(submitted: 1)),
            ])
            #expect(snapshot.otherSkills == TaskCounters(submitted: 3))
        }

        @Test func aSkillKeepsItsEntryOnceItHasOne() {
            var metrics = NodeMetrics(settings: MetricsSettings(maxSkills: 1))
            metrics.submitted(skill: skill("a"))
            metrics.submitted(skill: skill("b"))
            metrics.executedLocally(skill: skill("a"))
            let snapshot = metrics.snapshot(uptime: nil)
            #expect(snapshot.skills == [.init(skill: "a", tasks: TaskCounters(submitted: 1, executedLocally: 1))])
            #expect(snapshot.otherSkills == TaskCounters(submitted: 1))
        }

        @Test func peersBeyondTheBoundShareTheOtherEntry() {
            var metrics = NodeMetrics(settings: MetricsSettings(maxPeers: 2))
            for n: UInt8 in [5, 3, 9, 3, 1] {
                metrics.delegated(skill: skill("sha256"), peer: node(n))
            }
            metrics.refused(skill: skill("sha256"), peer: node(1))
            let snapshot = metrics.snapshot(uptime: nil)
            #expect(snapshot.peers == [
                .init(peer: node(3).hex, tasks: PeerTaskCounters(delegated: 2)),
                .init(peer: node(5).hex, tasks: PeerTaskCounters(delegated: 1)),
            ])
            #expect(snapshot.otherPeers == PeerTaskCounters(delegated: 2, refused: 1))
            #expect(snapshot.tasks.delegated == 5)
        }

        @Test func skillLatenciesHaveTheirOwnSmallerBound() throws {
            var metrics = NodeMetrics(settings: MetricsSettings(maxSkills: 10, maxSkillLatencies: 1))
            metrics.completed(
                skill: skill("a"), executor: node(1), isLocal: true, endToEnd: .microseconds(20), execution: .microseconds(10))
            metrics.completed(
                skill: skill("b"), executor: node(1), isLocal: true, endToEnd: .microseconds(40), execution: nil)
            metrics.failed(skill: skill("c"), reason: .internal, executor: nil, endToEnd: .microseconds(60))
            let snapshot = metrics.snapshot(uptime: nil)
            #expect(snapshot.skills.map(\.skill) == ["a", "b", "c"])
            #expect(snapshot.skillLatency.map(\.skill) == ["a"])
            #expect(snapshot.skillLatency[0].latency.execution?.count == 1)
            let other = try #require(snapshot.otherSkillLatency)
            #expect(other.execution == nil)
            #expect(other.endToEnd == LatencySummary(
                count: 2, minUs: 40, p50Us: 40, p95Us: 60, p99Us: 60, maxUs: 60, sumUs: 100))
            #expect(snapshot.latency.endToEnd?.count == 3)
        }

        @Test func inFlightKeepsThePeersHoldingTheMost() {
            var metrics = NodeMetrics(settings: MetricsSettings(maxPeers: 2))
            metrics.setInFlight([node(1): 1, node(2): 7, node(3): 7, node(4): 2, node(5): 0])
            let snapshot = metrics.snapshot(uptime: nil)
            #expect(snapshot.inFlight == [.init(peer: node(2).hex, tasks: 7), .init(peer: node(3).hex, tasks: 7)])
            #expect(snapshot.otherInFlight == 3)
        }

        @Test func zeroBoundsPutEverythingInOther() {
            var metrics = NodeMetrics(settings: MetricsSettings(maxPeers: 0, maxSkills: 0, maxSkillLatencies: 0))
            metrics.delegated(skill: skill("a"), peer: node(1))
            metrics.completed(
                skill: skill("a"), executor: node(1), isLocal: false, endToEnd: .microseconds(5), execution: nil)
            metrics.setInFlight([node(1): 1])
            let snapshot = metrics.snapshot(uptime: nil)
            #expect(snapshot.skills.isEmpty && snapshot.peers.isEmpty)
            #expect(snapshot.skillLatency.isEmpty && snapshot.inFlight.isEmpty)
            #expect(snapshot.otherSkills == TaskCounters(completed: 1, delegated: 1))
            #expect(snapshot.otherPeers == PeerTaskCounters(delegated: 1, completed: 1))
            #expect(snapshot.otherSkillLatency?.endToEnd?.count == 1)
            #expect(snapshot.otherInFlight == 1)
        }
    }
}

extension NodeMetricsTests {
    @Suite struct Latency {
        let sha = skill("sha256")

        /// HDR at three significant digits: a quantile is a recorded value rounded up by at most 1/1024.
        func expectWithinPrecision(_ reported: UInt64, of exact: UInt64, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(reported >= exact, sourceLocation: sourceLocation)
            #expect(reported - exact <= exact / 1024, "\(reported) vs \(exact)", sourceLocation: sourceLocation)
        }

        @Test func valuesUpTo2047MicrosecondsAreExact() {
            var metrics = NodeMetrics()
            for us in 1...100 {
                metrics.completed(
                    skill: sha, executor: node(1), isLocal: true, endToEnd: .microseconds(us + 1_000), execution: .microseconds(us))
            }
            let latency = metrics.snapshot(uptime: nil).latency
            #expect(latency.execution == LatencySummary(
                count: 100, minUs: 1, p50Us: 50, p95Us: 95, p99Us: 99, maxUs: 100, sumUs: 5_050))
            #expect(latency.endToEnd == LatencySummary(
                count: 100, minUs: 1_001, p50Us: 1_050, p95Us: 1_095, p99Us: 1_099, maxUs: 1_100, sumUs: 105_050))
        }

        @Test func largerValuesAreWithinTheDocumentedPrecision() throws {
            var metrics = NodeMetrics()
            // 1 ms, 2 ms, ..., 1000 ms, recorded in a scrambled order.
            var values = Array(1...1_000).map { UInt64($0) * 1_000 + 7 }
            values = values.enumerated().sorted { ($0.offset * 7_919) % 1_000 < ($1.offset * 7_919) % 1_000 }.map(\.element)
            for us in values {
                metrics.failed(skill: sha, reason: .skillFailed, executor: nil, endToEnd: .microseconds(us))
            }
            let summary = try #require(metrics.snapshot(uptime: nil).latency.endToEnd)
            #expect(summary.count == 1_000)
            #expect(summary.minUs == 1_007)
            #expect(summary.maxUs == 1_000_007)
            #expect(summary.sumUs == values.reduce(0, +))
            expectWithinPrecision(summary.p50Us, of: 500_007)
            expectWithinPrecision(summary.p95Us, of: 950_007)
            expectWithinPrecision(summary.p99Us, of: 990_007)
            #expect(summary.p50Us != 500_007, "large values are bucketed, not exact")
        }

        @Test func perSkillLatenciesAreKeptApart() throws {
            var metrics = NodeMetrics()
            metrics.completed(
                skill: sha, executor: node(1), isLocal: false, endToEnd: .microseconds(900), execution: .microseconds(500))
            metrics.completed(
                skill: skill("echo"), executor: node(1), isLocal: true, endToEnd: .microseconds(30), execution: .microseconds(20))
            let snapshot = metrics.snapshot(uptime: nil)
            #expect(snapshot.skillLatency.map(\.skill) == ["echo", "sha256"])
            #expect(snapshot.skillLatency[1].latency.execution?.maxUs == 500)
            #expect(snapshot.skillLatency[0].latency.endToEnd?.maxUs == 30)
            #expect(snapshot.latency.execution?.count == 2)
            #expect(snapshot.latency.execution?.minUs == 20)
        }

        @Test(arguments: [
            (Duration.zero, UInt64(1)),
            (.nanoseconds(400), 1),
            (.seconds(-2), 1),
            (.nanoseconds(1_999), 1),
            (.microseconds(2_047), 2_047),
            (.seconds(1) + .nanoseconds(999), 1_000_000),
            (.seconds(3_600), 3_600_000_000),
            (.seconds(7_200), 3_600_000_000),
            (.seconds(Int64.max), 3_600_000_000),
        ])
        func latenciesAreWholeMicrosecondsClampedToTheRange(latency: Duration, microseconds: UInt64) {
            #expect(LatencyHistogram.microseconds(latency) == microseconds)
            var histogram = LatencyHistogram()
            histogram.record(latency)
            #expect(histogram.summary?.maxUs == microseconds)
            #expect(histogram.summary?.minUs == microseconds)
        }

        @Test func failuresRecordEndToEndOnly() {
            var metrics = NodeMetrics()
            metrics.failed(skill: sha, reason: .timedOut, executor: node(3), endToEnd: .seconds(2))
            let latency = metrics.snapshot(uptime: nil).latency
            #expect(latency.execution == nil)
            #expect(latency.endToEnd?.count == 1)
        }
    }
}

extension NodeMetricsTests {
    @Suite struct SnapshotJSON {
        @Test func roundTripsThroughJSON() throws {
            let snapshot = smallNodeMetrics().snapshot(uptime: .seconds(42))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let data = try encoder.encode(snapshot)
            #expect(try JSONDecoder().decode(MetricsSnapshot.self, from: data) == snapshot)
            #expect(try encoder.encode(snapshot) == data)

            let empty = NodeMetrics().snapshot(uptime: nil)
            #expect(try JSONDecoder().decode(MetricsSnapshot.self, from: encoder.encode(empty)) == empty)
        }

        @Test func encodesPlainReadableValues() throws {
            var metrics = NodeMetrics()
            metrics.completed(
                skill: skill("echo"), executor: node(1), isLocal: true, endToEnd: .microseconds(30), execution: .microseconds(20))
            metrics.setQueueDepth([.low: 1])
            metrics.setInFlight([node(0xab): 2])
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let json = String(decoding: try encoder.encode(metrics.snapshot(uptime: .milliseconds(1_500))), as: UTF8.self)
            let counters = #"{"completed":1,"contradicted":0,"convictions":0,"delegated":0,"executedLocally":0,"failed":0,"#
                + #""refused":0,"retried":0,"submitted":0,"tieBreakers":0,"timedOut":0,"verified":0}"#
            let summary = { (us: Int) in
                #"{"count":1,"maxUs":\#(us),"minUs":\#(us),"p50Us":\#(us),"p95Us":\#(us),"p99Us":\#(us),"sumUs":\#(us)}"#
            }
            let latency = #"{"endToEnd":\#(summary(30)),"execution":\#(summary(20))}"#
            #expect(json == """
                {"failedByReason":[],"inFlight":[{"peer":"\(node(0xab).hex)","tasks":2}],"latency":\(latency),\
                "peers":[],"queueDepth":{"critical":0,"high":0,"low":1,"normal":0},\
                "skillLatency":[{"latency":\(latency),"skill":"echo"}],\
                "skills":[{"skill":"echo","tasks":\(counters)}],"successRate":1,"tasks":\(counters),"uptimeMs":1500}
                """)
        }
    }
}

extension NodeMetricsTests {
    @Suite struct Prometheus {
        let peer = node(0xab).hex

        @Test func rendersASmallNodeExactly() {
            let text = PrometheusText.render(smallNodeMetrics().snapshot(uptime: .milliseconds(42_250)))

            let skillFamilies = [
                ("submitted", "Tasks submitted to this node by applications.", 1, 1),
                ("completed", "Tasks that ended with their output.", 1, 0),
                ("failed", "Tasks that ended without output, timed out ones included.", 0, 1),
                ("timed_out", "Tasks that failed because their deadline passed.", 0, 1),
                ("retried", "Attempts that failed and were tried again.", 0, 0),
                ("refused", "Attempts a peer refused.", 0, 1),
                ("executed_locally", "Attempts run on this node's own executor.", 0, 0),
                ("delegated", "Attempts sent to a peer.", 1, 0),
                ("verified", "Delivered results checked by one more run on another node.", 0, 0),
                ("tie_breakers", "Runs started to settle a disagreement between a task's runs.", 0, 0),
                ("convictions", "Providers convicted of a wrong result by this node's runs.", 0, 0),
                ("contradicted", "Delivered results a check proved wrong.", 0, 0),
            ].map { name, help, sha, other in
                """
                # HELP grid_skill_tasks_\(name)_total \(help) Per skill.
                # TYPE grid_skill_tasks_\(name)_total counter
                grid_skill_tasks_\(name)_total{skill="sha256"} \(sha)
                grid_skill_tasks_\(name)_total{skill="_other"} \(other)

                """
            }.joined()
            let failedByReason = TaskFailure.Code.allCases.map(\.rawValue).sorted().map {
                "grid_tasks_failed_total{reason=\"\($0)\"} \($0 == "timed_out" ? 1 : 0)\n"
            }.joined()

            let expected = """
                # HELP grid_uptime_seconds How long the node has run.
                # TYPE grid_uptime_seconds gauge
                grid_uptime_seconds 42.25
                # HELP grid_tasks_submitted_total Tasks submitted to this node by applications.
                # TYPE grid_tasks_submitted_total counter
                grid_tasks_submitted_total 2
                # HELP grid_tasks_completed_total Tasks that ended with their output.
                # TYPE grid_tasks_completed_total counter
                grid_tasks_completed_total 1
                # HELP grid_tasks_failed_total Tasks that ended without output, timed out ones included. By reason.
                # TYPE grid_tasks_failed_total counter
                \(failedByReason)\
                # HELP grid_tasks_timed_out_total Tasks that failed because their deadline passed.
                # TYPE grid_tasks_timed_out_total counter
                grid_tasks_timed_out_total 1
                # HELP grid_tasks_retried_total Attempts that failed and were tried again.
                # TYPE grid_tasks_retried_total counter
                grid_tasks_retried_total 0
                # HELP grid_tasks_refused_total Attempts a peer refused.
                # TYPE grid_tasks_refused_total counter
                grid_tasks_refused_total 1
                # HELP grid_tasks_executed_locally_total Attempts run on this node's own executor.
                # TYPE grid_tasks_executed_locally_total counter
                grid_tasks_executed_locally_total 0
                # HELP grid_tasks_delegated_total Attempts sent to a peer.
                # TYPE grid_tasks_delegated_total counter
                grid_tasks_delegated_total 1
                # HELP grid_tasks_verified_total Delivered results checked by one more run on another node.
                # TYPE grid_tasks_verified_total counter
                grid_tasks_verified_total 0
                # HELP grid_tasks_tie_breakers_total Runs started to settle a disagreement between a task's runs.
                # TYPE grid_tasks_tie_breakers_total counter
                grid_tasks_tie_breakers_total 0
                # HELP grid_tasks_convictions_total Providers convicted of a wrong result by this node's runs.
                # TYPE grid_tasks_convictions_total counter
                grid_tasks_convictions_total 0
                # HELP grid_tasks_contradicted_total Delivered results a check proved wrong.
                # TYPE grid_tasks_contradicted_total counter
                grid_tasks_contradicted_total 0
                # HELP grid_task_success_ratio Completed / (completed + failed); NaN before any task ended.
                # TYPE grid_task_success_ratio gauge
                grid_task_success_ratio 0.5
                # HELP grid_task_latency_seconds Task latency: execution (the work itself) and end_to_end (submission to end).
                # TYPE grid_task_latency_seconds summary
                grid_task_latency_seconds{kind="execution",quantile="0"} 0.0007
                grid_task_latency_seconds{kind="execution",quantile="0.5"} 0.0007
                grid_task_latency_seconds{kind="execution",quantile="0.95"} 0.0007
                grid_task_latency_seconds{kind="execution",quantile="0.99"} 0.0007
                grid_task_latency_seconds{kind="execution",quantile="1"} 0.0007
                grid_task_latency_seconds_sum{kind="execution"} 0.0007
                grid_task_latency_seconds_count{kind="execution"} 1
                grid_task_latency_seconds{kind="end_to_end",quantile="0"} 0.0015
                grid_task_latency_seconds{kind="end_to_end",quantile="0.5"} 0.0015
                grid_task_latency_seconds{kind="end_to_end",quantile="0.95"} 2
                grid_task_latency_seconds{kind="end_to_end",quantile="0.99"} 2
                grid_task_latency_seconds{kind="end_to_end",quantile="1"} 2
                grid_task_latency_seconds_sum{kind="end_to_end"} 2.0015
                grid_task_latency_seconds_count{kind="end_to_end"} 2
                \(skillFamilies)\
                # HELP grid_skill_task_latency_seconds Task latency per skill: execution and end_to_end.
                # TYPE grid_skill_task_latency_seconds summary
                grid_skill_task_latency_seconds{skill="sha256",kind="execution",quantile="0"} 0.0007
                grid_skill_task_latency_seconds{skill="sha256",kind="execution",quantile="0.5"} 0.0007
                grid_skill_task_latency_seconds{skill="sha256",kind="execution",quantile="0.95"} 0.0007
                grid_skill_task_latency_seconds{skill="sha256",kind="execution",quantile="0.99"} 0.0007
                grid_skill_task_latency_seconds{skill="sha256",kind="execution",quantile="1"} 0.0007
                grid_skill_task_latency_seconds_sum{skill="sha256",kind="execution"} 0.0007
                grid_skill_task_latency_seconds_count{skill="sha256",kind="execution"} 1
                grid_skill_task_latency_seconds{skill="sha256",kind="end_to_end",quantile="0"} 0.0015
                grid_skill_task_latency_seconds{skill="sha256",kind="end_to_end",quantile="0.5"} 0.0015
                grid_skill_task_latency_seconds{skill="sha256",kind="end_to_end",quantile="0.95"} 0.0015
                grid_skill_task_latency_seconds{skill="sha256",kind="end_to_end",quantile="0.99"} 0.0015
                grid_skill_task_latency_seconds{skill="sha256",kind="end_to_end",quantile="1"} 0.0015
                grid_skill_task_latency_seconds_sum{skill="sha256",kind="end_to_end"} 0.0015
                grid_skill_task_latency_seconds_count{skill="sha256",kind="end_to_end"} 1
                grid_skill_task_latency_seconds{skill="_other",kind="end_to_end",quantile="0"} 2
                grid_skill_task_latency_seconds{skill="_other",kind="end_to_end",quantile="0.5"} 2
                grid_skill_task_latency_seconds{skill="_other",kind="end_to_end",quantile="0.95"} 2
                grid_skill_task_latency_seconds{skill="_other",kind="end_to_end",quantile="0.99"} 2
                grid_skill_task_latency_seconds{skill="_other",kind="end_to_end",quantile="1"} 2
                grid_skill_task_latency_seconds_sum{skill="_other",kind="end_to_end"} 2
                grid_skill_task_latency_seconds_count{skill="_other",kind="end_to_end"} 1
                # HELP grid_peer_tasks_delegated_total Attempts this node sent to the peer.
                # TYPE grid_peer_tasks_delegated_total counter
                grid_peer_tasks_delegated_total{peer="\(peer)"} 1
                grid_peer_tasks_delegated_total{peer="_other"} 0
                # HELP grid_peer_tasks_refused_total Attempts the peer refused.
                # TYPE grid_peer_tasks_refused_total counter
                grid_peer_tasks_refused_total{peer="\(peer)"} 0
                grid_peer_tasks_refused_total{peer="_other"} 1
                # HELP grid_peer_tasks_retried_total Attempts on the peer that failed and were tried again.
                # TYPE grid_peer_tasks_retried_total counter
                grid_peer_tasks_retried_total{peer="\(peer)"} 0
                grid_peer_tasks_retried_total{peer="_other"} 0
                # HELP grid_peer_tasks_completed_total Tasks the peer completed.
                # TYPE grid_peer_tasks_completed_total counter
                grid_peer_tasks_completed_total{peer="\(peer)"} 1
                grid_peer_tasks_completed_total{peer="_other"} 0
                # HELP grid_peer_tasks_failed_total Tasks that failed with the peer as their last executor, timed out ones included.
                # TYPE grid_peer_tasks_failed_total counter
                grid_peer_tasks_failed_total{peer="\(peer)"} 0
                grid_peer_tasks_failed_total{peer="_other"} 1
                # HELP grid_peer_tasks_timed_out_total Tasks that timed out with the peer as their last executor.
                # TYPE grid_peer_tasks_timed_out_total counter
                grid_peer_tasks_timed_out_total{peer="\(peer)"} 0
                grid_peer_tasks_timed_out_total{peer="_other"} 1
                # HELP grid_queue_depth Tasks waiting in this node's queue, per priority class.
                # TYPE grid_queue_depth gauge
                grid_queue_depth{priority="low"} 0
                grid_queue_depth{priority="normal"} 0
                grid_queue_depth{priority="high"} 3
                grid_queue_depth{priority="critical"} 0
                # HELP grid_peer_in_flight This node's tasks the peer holds now.
                # TYPE grid_peer_in_flight gauge
                grid_peer_in_flight{peer="\(peer)"} 2

                """
            #expect(text == expected)
            if text != expected {
                // Name the first line that differs, which the whole-text diff buries.
                let (got, want) = (text.split(separator: "\n", omittingEmptySubsequences: false),
                                   expected.split(separator: "\n", omittingEmptySubsequences: false))
                if let index = got.indices.first(where: { $0 >= want.count || got[$0] != want[$0] }) {
                    let wanted = index < want.count ? want[index] : "nothing"
                    Issue.record("line \(index + 1): got \(got[index]), want \(wanted)")
                }
            }
            expectWellFormed(text)
        }

        @Test func anEmptyNodeHasItsTotalsAndNoPerPeerOrPerSkillFamilies() {
            let text = PrometheusText.render(NodeMetrics().snapshot(uptime: nil))
            let lines = text.split(separator: "\n").map(String.init)
            #expect(lines.contains("grid_tasks_submitted_total 0"))
            #expect(lines.contains("grid_task_success_ratio NaN"))
            #expect(lines.contains(#"grid_task_latency_seconds{kind="execution",quantile="0.99"} NaN"#))
            #expect(lines.contains(#"grid_task_latency_seconds_sum{kind="end_to_end"} 0"#))
            #expect(lines.contains(#"grid_task_latency_seconds_count{kind="end_to_end"} 0"#))
            #expect(lines.contains(#"grid_queue_depth{priority="critical"} 0"#))
            #expect(!text.contains("grid_uptime_seconds"))
            #expect(!text.contains("grid_skill_"))
            #expect(!text.contains("grid_peer_"))
            expectWellFormed(text)
        }

        @Test func labelValuesAndHelpAreEscaped() {
            // Skill names cannot hold these characters, but a snapshot decoded from a file can.
            let snapshot = MetricsSnapshot(skills: [.init(skill: "a\"b\\c\nd", tasks: TaskCounters(submitted: 1))])
            let text = PrometheusText.render(snapshot)
            #expect(text.contains(#"grid_skill_tasks_submitted_total{skill="a\"b\\c\nd"} 1"# + "\n"))
            #expect(PrometheusWriter.escapeLabelValue("plain é ✓") == "plain é ✓")
            #expect(PrometheusWriter.escapeHelp("a\\b\nc \"quoted\"") == #"a\\b\nc "quoted""#)
            expectWellFormed(text)
        }

        @Test(arguments: [
            (UInt64(0), "0"), (1, "0.000001"), (700, "0.0007"), (1_500, "0.0015"), (2_000_000, "2"),
            (2_001_500, "2.0015"), (3_600_000_000, "3600"),
        ])
        func microsecondsAreWrittenAsExactSeconds(microseconds: UInt64, text: String) {
            #expect(PrometheusWriter.seconds(microseconds: microseconds) == text)
        }

        @Test func specialFloatsAreSpelledAsPrometheusParsesThem() {
            #expect(PrometheusWriter.value(.nan) == "NaN")
            #expect(PrometheusWriter.value(.infinity) == "+Inf")
            #expect(PrometheusWriter.value(-.infinity) == "-Inf")
            #expect(PrometheusWriter.value(0.25) == "0.25")
        }

        @Test func aBusyNodeIsWellFormed() {
            var metrics = NodeMetrics(settings: MetricsSettings(maxPeers: 3, maxSkills: 3, maxSkillLatencies: 2))
            for n in 0..<20 {
                let s = skill("skill-\(n % 5)")
                let p = node(UInt8(n % 6))
                metrics.submitted(skill: s)
                metrics.delegated(skill: s, peer: p)
                if n % 3 == 0 {
                    metrics.retried(skill: s, peer: p)
                    metrics.failed(
                        skill: s, reason: n % 2 == 0 ? .timedOut : .skillFailed, executor: p, endToEnd: .milliseconds(n))
                } else {
                    metrics.completed(
                        skill: s, executor: p, isLocal: false, endToEnd: .milliseconds(n * 3), execution: .milliseconds(n))
                }
            }
            metrics.setInFlight(Dictionary(uniqueKeysWithValues: (0..<6).map { (node(UInt8($0)), $0) }))
            expectWellFormed(PrometheusText.render(metrics.snapshot(uptime: .seconds(5))))
        }

        @Test(arguments: [
            "grid_x 1\n",
            "# HELP grid_x x\n# TYPE grid_x counter\ngrid_x 1",
            "# HELP grid_x x\n# TYPE grid_x counter\ngrid_x{a=\"b} 1\n",
            "# HELP grid_x x\n# TYPE grid_x counter\ngrid_x{a=\"b\\q\"} 1\n",
            "# HELP grid_x x\n# TYPE grid_x counter\ngrid_x one\n",
            "# HELP grid_x x\n# HELP grid_x x\n# TYPE grid_x counter\ngrid_x 1\n",
            "# HELP grid_x x\n# TYPE grid_x counter\ngrid_x 1\n# HELP grid_y y\n# TYPE grid_y gauge\ngrid_y 1\ngrid_x 2\n",
            "# HELP grid_s s\n# TYPE grid_s summary\ngrid_s{q=\"1\"} 1\n",
        ])
        func theFormatCheckCatchesMistakes(text: String) {
            withKnownIssue { expectWellFormed(text) }
        }

        // MARK: Checking the format

        /// Every line is a `# HELP` or `# TYPE` line or a sample `name{labels} value`; each family has
        /// exactly one HELP and one TYPE, before its samples, and its samples are together.
        func expectWellFormed(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(text.hasSuffix("\n"), "the last line ends with a line feed", sourceLocation: sourceLocation)
            var helped: Set<String> = []
            var types: [String: String] = [:]
            var finished: Set<String> = []
            var current: String?
            for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) {
                if line.hasPrefix("# ") {
                    let parts = line.split(separator: " ", maxSplits: 3).map(String.init)
                    #expect(parts.count >= 3, "\(line)", sourceLocation: sourceLocation)
                    guard parts.count >= 3 else { continue }
                    let name = parts[2]
                    if let current, current != name { finished.insert(current) }
                    current = name
                    switch parts[1] {
                    case "HELP":
                        #expect(helped.insert(name).inserted, "HELP twice for \(name)", sourceLocation: sourceLocation)
                    case "TYPE":
                        #expect(types[name] == nil, "TYPE twice for \(name)", sourceLocation: sourceLocation)
                        types[name] = parts.count > 3 ? parts[3] : ""
                        let known = ["counter", "gauge", "summary"].contains(types[name])
                        #expect(known, "\(line)", sourceLocation: sourceLocation)
                    default: Issue.record("unexpected comment: \(line)", sourceLocation: sourceLocation)
                    }
                    continue
                }
                guard let sample = parseSample(line) else {
                    Issue.record("not a sample line: \(line)", sourceLocation: sourceLocation)
                    continue
                }
                var family = sample.name
                if types[family] == nil {
                    for suffix in ["_sum", "_count"] where family.hasSuffix(suffix) {
                        family = String(family.dropLast(suffix.count))
                    }
                    #expect(types[family] == "summary", "\(sample.name) has no TYPE", sourceLocation: sourceLocation)
                }
                #expect(family == current, "\(sample.name) outside its family's group", sourceLocation: sourceLocation)
                #expect(!finished.contains(family), "\(family) split in two groups", sourceLocation: sourceLocation)
                #expect(helped.contains(family), "\(family) has no HELP", sourceLocation: sourceLocation)
                if types[family] == "summary" && sample.name == family {
                    #expect(sample.labels.last?.0 == "quantile", "\(line)", sourceLocation: sourceLocation)
                }
            }
        }

        /// Parses `name{label="value",...} value` (labels optional), undoing the label escapes; nil
        /// when the line is not one.
        func parseSample(_ line: String) -> (name: String, labels: [(String, String)], value: Double)? {
            var chars = Substring(line)
            func take(while predicate: (Character) -> Bool) -> String {
                let taken = chars.prefix(while: predicate)
                chars = chars.dropFirst(taken.count)
                return String(taken)
            }
            let isNameStart = { (c: Character) in c.isASCII && (c.isLetter || c == "_" || c == ":") }
            let isName = { (c: Character) in c.isASCII && (c.isLetter || c.isNumber || c == "_" || c == ":") }
            guard let first = chars.first, isNameStart(first) else { return nil }
            let name = take(while: isName)
            var labels: [(String, String)] = []
            if chars.first == "{" {
                chars.removeFirst()
                while chars.first != "}" {
                    guard let first = chars.first, isNameStart(first), first != ":" else { return nil }
                    let label = take(while: { isName($0) && $0 != ":" })
                    guard chars.hasPrefix("=\"") else { return nil }
                    chars.removeFirst(2)
                    var value = ""
                    while true {
                        guard let c = chars.popFirst() else { return nil }
                        if c == "\"" { break }
                        if c == "\\" {
                            switch chars.popFirst() {
                            case "\\"?: value.append("\\")
                            case "\""?: value.append("\"")
                            case "n"?: value.append("\n")
                            default: return nil
                            }
                        } else {
                            if c == "\n" { return nil }
                            value.append(c)
                        }
                    }
                    labels.append((label, value))
                    if chars.first == "," { chars.removeFirst() }
                }
                chars.removeFirst()
            }
            guard chars.first == " " else { return nil }
            chars.removeFirst()
            let text = String(chars)
            let value: Double?
            switch text {
            case "NaN": value = .nan
            case "+Inf": value = .infinity
            case "-Inf": value = -.infinity
            default: value = text.allSatisfy { $0.isNumber || "+-.e".contains($0) } ? Double(text) : nil
            }
            guard let value else { return nil }
            return (name, labels, value)
        }
    }
}
