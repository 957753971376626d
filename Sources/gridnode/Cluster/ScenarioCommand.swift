import ArgumentParser
import Foundation
import GridCore

extension Cluster {
    struct RunScenario: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Play a scenario file: bring up its cluster, drive its load, carry out its timed steps, and report what happened.",
            discussion: "Exit status 1 when an expectation of the file is not met. Scenarios to start from: Benchmarks/Scenarios/.")

        @Argument(help: "The scenario file (JSON).")
        var scenario: String

        @Option(name: .customLong("dir"), help: "Where the scenario's cluster goes; it must not be a cluster yet (default: a new directory under /tmp).")
        var dir: String?

        @Option(name: .customLong("base-port"), help: "node1 listens on this port, node2 on the next, …")
        var basePort = 7601

        @Flag(help: "As cluster up --netns: a network namespace per node, so that partitions cut real links.")
        var netns = false

        @Flag(help: "Leave the cluster running afterwards (gridnode cluster down --dir DIR stops it).")
        var keep = false

        @Flag(help: "Remove the cluster's directory afterwards (by default its logs are kept).")
        var remove = false

        @Option(help: "Also write the report as JSON to this file.")
        var json: String?

        func validate() throws {
            if keep && remove { throw ValidationError("give --keep or --remove, not both") }
        }

        func run() async throws {
            let passed = try await reportingErrors {
                let scenario = try Scenario.load(from: self.scenario)
                let directory = ClusterDirectory.resolve(dir ?? NSTemporaryDirectory() + "grid-scenario-\(UInt32.random(in: 0...UInt32.max))")
                let run = ScenarioRun(scenario: scenario, cluster: directory, basePort: basePort, netns: netns)
                let report: ScenarioRun.Report
                do {
                    report = try await run.run()
                } catch {
                    if directory.exists, var control = try? ClusterControl(directory) { _ = try? await control.stopAll(timeout: .seconds(30)) }
                    throw error
                }
                print(report.text)
                if let json {
                    do {
                        try prettyJSON(report).write(to: URL(fileURLWithPath: json))
                    } catch {
                        throw GridError(.scenario, "cannot write the report to \(json): \(error.localizedDescription)")
                    }
                }
                if !keep {
                    var control = try ClusterControl(directory)
                    _ = try await control.stopAll(timeout: .seconds(30))
                    if remove { try? FileManager.default.removeItem(atPath: directory.path) }
                }
                print(keep ? "the cluster is still running in \(directory.path)" : remove ? "removed \(directory.path)" : "logs kept in \(directory.path)")
                return report.passed
            }
            if !passed { throw ExitCode.failure }
        }
    }
}

extension ScenarioRun.Report {
    /// The report as a person reads it.
    var text: String {
        func n<T: BinaryInteger>(_ value: T) -> String { LoadFormat.grouped(Int(value)) }
        var lines = ["scenario: \(scenario)", "", "what happened:"]
        for event in events { lines.append(String(format: "  %7.2f s  ", event.atSeconds) + "\(event.action): \(event.result)") }
        lines.append("")
        lines.append("tasks:        \(n(load.submitted)) submitted, \(n(load.succeeded)) completed, \(n(load.failed)) failed")
        let reasons = load.errorsByReason.sorted { $0.key < $1.key }.map { "\($0.key) \(n($0.value))" }
        lines.append("failed by:    \(reasons.isEmpty ? "-" : reasons.joined(separator: ", "))")
        lines.append("retried:      \(n(retried)) attempts")
        lines.append("convicted:    \(convicted.isEmpty ? "none" : convicted.joined(separator: ", ")) (\(n(convictions)) convictions)")
        lines.append("contradicted: \(n(contradicted)) delivered results")
        if load.checked { lines.append("wrong:        \(n(load.wrongOutputs)) outputs (each checked against the right one)") }
        let by = completedBy.sorted { $0.key < $1.key }.map { "\($0.key) \(n($0.value))" }
        lines.append("completed by: \(by.isEmpty ? "-" : by.joined(separator: ", "))")
        var speed = "throughput:   \(LoadFormat.fixed(load.throughputPerSecond, 1)) tasks/s"
        if let latency = load.latencyUs {
            speed += "; latency p50 \(LoadFormat.latency(microseconds: latency.p50)), p90 \(LoadFormat.latency(microseconds: latency.p90)), p99 \(LoadFormat.latency(microseconds: latency.p99)), max \(LoadFormat.latency(microseconds: latency.max))"
        }
        lines.append(speed)
        if !checks.isEmpty {
            lines.append("")
            lines.append("expectations: \(passed ? "all met" : "NOT MET")")
            for check in checks { lines.append("  \(check.met ? "met" : "NOT MET"): \(check.expectation) (was \(n(check.actual)))") }
        }
        return lines.joined(separator: "\n")
    }
}
