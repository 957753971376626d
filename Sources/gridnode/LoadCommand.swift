import ArgumentParser
import Foundation
import GridCore
import GridLocalAPI
import GridNode

struct Load: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Drive the running node with tasks of one skill, and report throughput, latency and errors.",
        discussion: """
            --rate R submits R tasks a second whatever the node does (open loop; more than --max-in-flight \
            tasks in flight and the due submissions are skipped, counted as generator_backlog); --concurrency C \
            runs C workers that each submit a task and wait for its result (closed loop). Submissions stop after \
            --duration; tasks still in flight then are waited for. A live line on stderr shows the progress; the \
            report goes to stdout (to stderr with --json -). Exit status 0 when the run finished, task errors or not.
            """)

    @Option(help: "A node of a cluster, by name: its data directory is NAME in the --cluster directory.")
    var node: String?

    @Option(help: "With --node: the cluster's directory, which holds cluster.json (default: $GRID_CLUSTER, else ./grid-cluster).")
    var cluster: String?

    @OptionGroup var dataDir: DataDirOption

    @Option(help: "The skill to run, e.g. echo.")
    var skill: String

    @Option(help: "Open loop: submit this many tasks per second (more than 0, at most 100000).")
    var rate: Double?

    @Option(help: "Closed loop: this many workers, each submitting a task and waiting for its result (1-4096).")
    var concurrency: Int?

    @Option(help: "How long to submit: 500ms, 30s, 2m, 1h, or a plain number of seconds (at most 24h).")
    var duration = "30s"

    @Option(name: .customLong("input-bytes"), help: "Each task's input: this many random bytes, at most 1048576 (1 MiB); 0 is the text \"load\".")
    var inputBytes = 0

    @Option(help: "Seconds each task may take (default: the node's defaultTaskTimeoutMs).")
    var timeout: Double?

    @Option(name: .customLong("max-in-flight"), help: "With --rate: the most tasks in flight at once, 1-4096 (default 1024); due submissions beyond it are skipped.")
    var maxInFlight: Int?

    @Option(help: "Also write the report as JSON to this file; - writes it to stdout (and the text report to stderr).")
    var json: String?

    @Flag(name: .customLong("no-check"), help: "Do not compare outputs with the right ones (done for echo and sha256: a wrong one counts as wrong_output).")
    var noCheck = false

    func run() async throws {
        try await reportingErrors {
            let plan = try self.plan()
            let target = try self.target(environment: ProcessInfo.processInfo.environment)
            let params = try self.params(plan)
            let display = LoadProgressDisplay()
            let expected = noCheck ? nil : LoadOutputCheck.expected(skill: skill, input: LoadOutputCheck.input(of: params))
            let outcome = try await LoadRun(
                plan: plan, params: params, socketPath: target.directory.socketPath, display: display, expected: expected
            ).run(unreachable: target.unreachableHint)
            let report = LoadReport(
                plan: plan, skill: skill, node: target.name, stats: outcome.stats, elapsed: outcome.elapsed,
                stoppedEarly: outcome.stoppedEarly, checked: expected != nil)
            try write(report)
            if let stoppedEarly = outcome.stoppedEarly { throw GridError(.loadStopped, stoppedEarly) }
        }
    }

    /// The run the flags ask for, checked (the errors say which flag to change).
    func plan() throws(GridError) -> LoadPlan {
        let length: Duration
        do { length = try LoadDuration.parse(duration) } catch { throw GridError(.invalidArgument, "--duration: \(error.message)") }
        do { _ = try SkillID(skill) } catch { throw GridError(.invalidArgument, "--skill: \(error.message)") }
        if let timeout, !(timeout > 0) || timeout > 86_400 {
            throw GridError(.invalidArgument, "--timeout must be more than 0 and at most 86400 seconds; got \(timeout)")
        }
        return try LoadPlan(rate: rate, concurrency: concurrency, duration: length, inputBytes: inputBytes, maxInFlight: maxInFlight)
    }

    /// The task every submission sends: the same skill, input and timeout each time.
    func params(_ plan: LoadPlan) throws(GridError) -> SubmitParams {
        var params = SubmitParams(skill: skill, wait: true, timeoutMs: timeout.map { Int(($0 * 1000).rounded(.up)) })
        if plan.inputBytes == 0 {
            params.input = "load"
        } else {
            var rng = SystemRandomNumberGenerator()
            params.inputBase64 = Data((0..<plan.inputBytes).map { _ in UInt8.random(in: .min ... .max, using: &rng) }).base64EncodedString()
        }
        return params
    }

    private func write(_ report: LoadReport) throws {
        guard let json else { return print(report.text) }
        let data = try prettyJSON(report) + Data("\n".utf8)
        if json == "-" {
            Console.error(report.text + "\n")
            Console.out(data)
            return
        }
        print(report.text)
        guard FileManager.default.createFile(atPath: json, contents: data) else {
            throw GridError(.invalidArgument, "cannot write the JSON report to \(json); give --json a path in a directory that exists and can be written")
        }
    }
}

extension GridError.Code {
    /// A load run that ended before its duration: the node went away, or refused every task.
    static let loadStopped = Self("load.stopped")
}
