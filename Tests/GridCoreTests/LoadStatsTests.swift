import Foundation
import GridCore
import Testing

@Suite struct LoadStatsTests {
    func stats(successesUs: [Int64], failures: [String] = [], skipped: Int = 0, inFlight: Int = 0) -> LoadStats {
        var stats = LoadStats()
        for _ in 0..<(successesUs.count + failures.count + inFlight) { stats.recordSubmitted() }
        for us in successesUs { stats.recordSuccess(latency: .microseconds(us)) }
        for reason in failures { stats.recordFailure(reason: reason) }
        stats.recordSkipped(skipped)
        return stats
    }

    @Test func countsOutcomesAndFailuresByReason() {
        let stats = stats(
            successesUs: [100, 200], failures: ["timed_out", "connection", "timed_out"], skipped: 5, inFlight: 4)
        #expect(stats.submitted == 9)
        #expect(stats.succeeded == 2)
        #expect(stats.failed == 3)
        #expect(stats.skipped == 5)
        #expect(stats.inFlight == 4)
        #expect(stats.errorsByReason == ["timed_out": 2, "connection": 1, "generator_backlog": 5])
    }

    @Test func aWrongOutputIsAFailureOfItsOwn() {
        var stats = LoadStats()
        for _ in 0..<3 { stats.recordSubmitted() }
        stats.recordSuccess(latency: .microseconds(100))
        stats.recordWrong()
        stats.recordWrong()
        #expect(stats.succeeded == 1 && stats.failed == 2 && stats.wrong == 2 && stats.inFlight == 0)
        #expect(stats.errorsByReason == ["wrong_output": 2])
    }

    @Test(arguments: [
        // latencies recorded (µs), then min, p50, p90, p99, max, mean: nearest rank, exact up to 2,047 µs
        ([Int64](stride(from: 100, through: 1000, by: 100)), LoadReport.Latency(min: 100, p50: 500, p90: 900, p99: 1000, max: 1000, mean: 550)),
        ([7], LoadReport.Latency(min: 7, p50: 7, p90: 7, p99: 7, max: 7, mean: 7)),
        ([1210, 1210, 4500], LoadReport.Latency(min: 1210, p50: 1210, p90: 4500, p99: 4500, max: 4500, mean: 2307)),
        // 4,500 µs is in a bucket 4 µs wide (4,500-4,503): a quantile reads its top, max the value itself.
        ([4500, 5000], LoadReport.Latency(min: 4500, p50: 4503, p90: 5000, p99: 5000, max: 5000, mean: 4750)),
        // Under 1 µs counts as 1 µs; a fraction of a µs is truncated.
        ([0, 2], LoadReport.Latency(min: 1, p50: 1, p90: 2, p99: 2, max: 2, mean: 2)),
    ])
    func latencyQuantiles(us: [Int64], latency: LoadReport.Latency) {
        #expect(stats(successesUs: us).latencyUs == latency)
    }

    @Test func noLatencyBeforeASuccess() {
        #expect(stats(successesUs: [], failures: ["no_provider"]).latencyUs == nil)
    }

    @Test func reasonsBeyondTheBoundAreCountedAsOther() {
        let reasons = (0..<LoadStats.maxReasons).map { "r\($0)" }
        let stats = stats(successesUs: [], failures: reasons + ["late1", "late2", "r0"])
        #expect(stats.errorsByReason.count == LoadStats.maxReasons + 1)
        #expect(stats.errorsByReason["other"] == 2)
        #expect(stats.errorsByReason["r0"] == 2)
        #expect(stats.failed == LoadStats.maxReasons + 3)
    }

    @Test func reportOfAConcurrencyRun() throws {
        let plan = try LoadPlan(rate: nil, concurrency: 8, duration: .seconds(3))
        let stats = stats(successesUs: [1210, 1210, 4500], failures: ["timed_out"])
        let report = LoadReport(plan: plan, skill: "echo", node: "n1", stats: stats, elapsed: .milliseconds(2_501))
        #expect(report.mode == "concurrency")
        #expect(report.concurrency == 8)
        #expect(report.rate == nil)
        #expect(report.maxInFlight == nil)
        #expect(report.durationSeconds == 2.501)
        #expect(report.requestedDurationSeconds == 3)
        #expect(report.throughputPerSecond == 1.2)  // 3 / 2.501 = 1.1995…
        #expect((report.submitted, report.succeeded, report.failed, report.skipped) == (4, 3, 1, 0))
        #expect(report.errorsByReason == ["timed_out": 1])

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(report), as: UTF8.self)
        #expect(json == #"{"checked":false,"concurrency":8,"durationSeconds":2.501,"errorsByReason":{"timed_out":1},"failed":1,"inputBytes":0,"#
            + #""latencyUs":{"max":4500,"mean":2307,"min":1210,"p50":1210,"p90":4500,"p99":4500},"mode":"concurrency","node":"n1","#
            + #""requestedDurationSeconds":3,"skill":"echo","skipped":0,"submitted":4,"succeeded":3,"throughputPerSecond":1.2,"wrongOutputs":0}"#)
        #expect(try JSONDecoder().decode(LoadReport.self, from: Data(json.utf8)) == report)

        #expect(report.text == """
            load        echo at n1, concurrency 8, for 3 s, input "load"
            ran         2.501 s
            tasks       submitted 4, succeeded 3, failed 1
            throughput  1.2 tasks/s
            latency     p50 1.21 ms  p90 4.50 ms  p99 4.50 ms  max 4.50 ms  mean 2.31 ms
            errors      timed_out 1
            """)
    }

    @Test func reportOfARateRunThatSkipped() throws {
        let plan = try LoadPlan(rate: 200, concurrency: nil, duration: .milliseconds(1500), inputBytes: 4096, maxInFlight: 2)
        let stats = stats(successesUs: [], failures: ["connection"], skipped: 1234)
        let report = LoadReport(plan: plan, skill: "sha256", node: "/tmp/n1", stats: stats, elapsed: .seconds(2), stoppedEarly: "the node went away")
        #expect((report.mode, report.rate, report.maxInFlight, report.concurrency) == ("rate", 200, 2, nil))
        #expect(report.throughputPerSecond == 0)
        #expect(report.errorsByReason == ["connection": 1, "generator_backlog": 1234])
        #expect(report.text == """
            load        sha256 at /tmp/n1, rate 200/s (at most 2 in flight), for 1.5 s, input 4,096 random bytes
            ran         2 s
            tasks       submitted 1, succeeded 0, failed 1
            throughput  0.0 tasks/s
            latency     - (no task succeeded)
            errors      generator_backlog 1,234, connection 1
            skipped     1,234 due submissions were not sent, as 2 tasks (--max-in-flight) were in flight already (generator_backlog): the node did not keep up with the rate. Lower --rate, or raise --max-in-flight
            stopped     the node went away
            """)
    }

    @Test(arguments: [
        // successes (µs), failures, skipped, still in flight, elapsed ms, the line
        ([Int64](), 0, 0, 0, 0, "   0.0 s  0 done  0 failed  0 in flight  0.0/s  p50 -  p99 -"),
        ([1210, 1210, 4500], 2, 0, 2, 10_000, "  10.0 s  3 done  2 failed  2 in flight  0.3/s  p50 1.21 ms  p99 4.50 ms"),
        ([850], 0, 7, 1024, 123_450, " 123.5 s  1 done  0 failed  7 skipped  1,024 in flight  0.0/s  p50 850 µs  p99 850 µs"),
    ])
    func progressLine(us: [Int64], failures: Int, skipped: Int, inFlight: Int, elapsedMs: Int64, line: String) {
        let stats = stats(successesUs: us, failures: Array(repeating: "timed_out", count: failures), skipped: skipped, inFlight: inFlight)
        #expect(LoadProgress.line(stats, elapsed: .milliseconds(elapsedMs)) == line)
    }

    @Test func progressLineGroupsThousands() {
        let stats = stats(successesUs: Array(repeating: 1000, count: 1234))
        #expect(LoadProgress.line(stats, elapsed: .seconds(12)) == "  12.0 s  1,234 done  0 failed  0 in flight  102.8/s  p50 1.00 ms  p99 1.00 ms")
    }

    @Test func formats() {
        #expect([0, 999, 1000, 1_234_567, -1234].map(LoadFormat.grouped) == ["0", "999", "1,000", "1,234,567", "-1,234"])
        #expect(LoadFormat.fixed(102.25, 1) == "102.3")
        #expect(LoadFormat.fixed(4096.94, 1) == "4,096.9")
        #expect(LoadFormat.fixed(3, 0) == "3")
        #expect(LoadFormat.fixed(0.04, 2) == "0.04")
        #expect(LoadFormat.fixed(-0.04, 1) == "0.0")
        #expect([850, 1210, 12_400, 2_500_000].map { LoadFormat.latency(microseconds: $0) } == ["850 µs", "1.21 ms", "12.40 ms", "2.50 s"])
        #expect([3, 0.5, 1.25, 3.0041].map(LoadFormat.seconds) == ["3", "0.5", "1.25", "3.004"])
    }
}
