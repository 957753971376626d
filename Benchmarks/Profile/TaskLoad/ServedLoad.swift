// `TaskLoad --served`: the built-in `echo` against an application-served `bench.echo`, in one run.
//
//     .build/release/TaskLoad --served [--sync 2000] [--tasks 20000] [--inflight 64] [--inflight-connections 8]
//
// Two nodes: E serves the built-in `echo`, and an application (an in-process GridClient connection
// to E's socket, `serve("bench.echo", capacity: 64) { $0.input }`) serves `bench.echo` on it. R
// serves only the built-in `sleep` (no application connects to it), so R delegates both skills
// to E. Both nodes run with maxConcurrentTasks 64, so the built-in has as many places as the
// application's capacity, and with the per-peer limits (requesterRatePerSecond,
// maxMessagesPerSecond) raised out of the way; every other setting is the default.
//
//   - sync round trip: `--sync` rounds on one connection to E and one to R; each round submits,
//     one after the other with `wait: true`, `echo` and `bench.echo` to E (local) and to R
//     (delegated), plus one `node.info` to E (a bare JSON-RPC round trip over the socket), the
//     order rotating from round to round; after 200 warm-up rounds. p50, p99, max of each series.
//   - throughput with `--inflight` tasks in flight: a closed loop of `--inflight` workers over
//     `--inflight-connections` connections, each submitting its next task with `wait: true` as
//     soon as the last one is answered; tasks per second, and the round trip under that load.
//     Four series (echo on E, bench.echo on E, echo R → E, bench.echo R → E), each run as two
//     blocks of `--tasks`/2 timed tasks (after 10 untimed tasks per worker) in a palindromic
//     order, the four and then the same backwards, so that the nodes' growing databases and any
//     drift weigh on every series alike. During the delegated blocks R's in-flight gauge (its
//     tasks E holds) is sampled every 100 ms. Each series also reports the CPU time (user +
//     system, from /proc) per task of E, of R and of this process (the load generator and the
//     application together), warm-up included.
// Every task must succeed: failures are counted and printed. The end prints both tables in
// Markdown, and each node's per-skill counters.

import Foundation
import GridClient
import GridLocalAPI

/// A counter shared by tasks.
final class SharedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    /// Adds one and returns the value before.
    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value - 1
    }

    var current: Int {
        lock.lock()
        defer { lock.unlock() }
        return value
    }

    func raise(to candidate: Int) {
        lock.lock()
        defer { lock.unlock() }
        value = max(value, candidate)
    }
}

/// The first error message seen, from any task.
final class FirstMessage: @unchecked Sendable {
    private let lock = NSLock()
    private var message: String?

    func keep(_ candidate: String) {
        lock.lock()
        defer { lock.unlock() }
        if message == nil { message = candidate }
    }

    var value: String? {
        lock.lock()
        defer { lock.unlock() }
        return message
    }
}

struct Percentiles {
    var p50: Double
    var p99: Double
    var max: Double
    var count: Int

    init(_ samples: [UInt64]) {
        let sorted = samples.sorted()
        p50 = percentile(sorted, 0.50)
        p99 = percentile(sorted, 0.99)
        max = percentile(sorted, 1.0)
        count = sorted.count
    }

    var text: String { String(format: "p50 %.0f µs, p99 %.0f µs, max %.0f µs (%d)", p50, p99, max, count) }
}

/// One closed-loop run of one skill on one node.
struct Block {
    var samples: [UInt64]
    var seconds: Double
    var failures: Int
    var firstFailure: String?
    var peakInFlight: Int
}

struct ThroughputResult {
    var tasksPerSecond: Double
    var seconds: Double
    var tasks: Int
    var failures: Int
    var firstFailure: String?
    var underLoad: Percentiles
    /// Highest in-flight gauge seen on the requester (delegated phases only).
    var peakInFlight: Int?
    /// CPU time per timed task (user + system, µs) of E, R and this process (the load and the application).
    var cpuPerTask: [Double]
}

/// User + system CPU time of a process so far, in µs (`/proc/PID/stat`; `self` for this one).
func cpuMicroseconds(_ pid: String) -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return 0 }
    // After "pid (comm)": state is field 3, utime field 14, stime field 15.
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
    return (user + system) * 1e6 / Double(sysconf(Int32(_SC_CLK_TCK)))
}

enum ServedLoad {
    static let servedSkill = "bench.echo"
    static let settings: [String: Int] = [
        "maxConcurrentTasks": 64,  // default 4: the built-in gets the application's 64 places
        "requesterRatePerSecond": 1_000_000,  // default 200 per peer: would refuse R's tasks as busy
        "maxMessagesPerSecond": 1_000_000,  // default 20000 per peer: a delegated task is several messages
    ]

    static func measure(_ options: Options) async throws {
        guard FileManager.default.isExecutableFile(atPath: options.gridnode) else {
            throw Failure(
                "no gridnode at \(options.gridnode); build it with `swift build -c release --product gridnode` in the root package, or pass --gridnode PATH")
        }
        let root = NSTemporaryDirectory() + "taskload-served-\(getpid())"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let basePort = 20_000 + Int(getpid() % 20_000)
        let bootstrap = root + "/bootstrap.json"
        try Data("""
            {"peers": [{"name": "executor", "address": "127.0.0.1", "port": \(basePort)}]}
            """.utf8).write(to: URL(fileURLWithPath: bootstrap))
        print("settings on both nodes: " + settings.keys.sorted().map { "\($0) \(settings[$0]!)" }.joined(separator: ", ") + "; the rest default")

        let executor = try NodeProcess(
            name: "executor", root: root, gridnode: options.gridnode, listen: basePort, skills: ["echo"], bootstrap: nil, settings: settings)
        let requester = try NodeProcess(
            name: "requester", root: root, gridnode: options.gridnode, listen: basePort + 1, skills: ["sleep"], bootstrap: bootstrap,
            settings: settings)
        var application: Task<Void, any Error>?
        defer {
            application?.cancel()
            for node in [executor, requester] { node.stop() }
            try? FileManager.default.removeItem(atPath: root)
        }
        for node in [executor, requester] {
            try await waitFor("\(node.name)'s socket") { FileManager.default.fileExists(atPath: node.socket) }
        }

        // The application: one connection to E serving bench.echo with capacity 64.
        let handled = SharedCounter()
        let nodeErrors = SharedCounter()
        let serving = SharedCounter()
        let executorSocket = executor.socket
        application = Task {
            try await GridClient.withConnection(socketPath: executorSocket) { connection in
                connection.onNodeError { notice in
                    if nodeErrors.next() < 5 { print("node.error to the application: \(notice.message)") }
                }
                try await connection.serve(servedSkill, capacity: 64, description: "TaskLoad: answers its input") { task in
                    _ = handled.next()
                    return task.input
                }
                serving.raise(to: 1)
                await connection.untilClosed()
            }
        }
        try await waitFor("the application to serve \(servedSkill)") { serving.current == 1 }
        for skill in ["echo", servedSkill] {
            try await waitFor("the requester to see the executor's \(skill)") {
                try await GridClient.withConnection(socketPath: requester.socket) { node in
                    try await node.route(RouteParams(skill: skill)).contains { $0.rank != nil && !$0.local }
                }
            }
        }
        try await Task.sleep(for: .seconds(2))
        for node in [executor, requester] {
            print("\(node.name) idle RSS: \(node.rssKiB().map { String(format: "%.1f MiB", Double($0) / 1024) } ?? "unknown")")
        }

        let started = Date()
        print("sync phase from \(Self.utc(started)) UTC")
        let sync = try await syncRounds(local: executor.socket, delegated: requester.socket, rounds: options.sync)
        for (label, figures) in sync { print("sync \(label): \(figures.text)") }

        // Palindromic order (each series once in the first half, once in the second, with the
        // same mean position), so that the nodes' growing databases and any drift fall on every
        // series alike; each block runs half the tasks.
        let series: [(String, String, String, String?)] = [
            ("echo local (E)", executor.socket, "echo", nil),
            ("\(servedSkill) local (E)", executor.socket, servedSkill, nil),
            ("echo delegated (R -> E)", requester.socket, "echo", requester.socket),
            ("\(servedSkill) delegated (R -> E)", requester.socket, servedSkill, requester.socket),
        ]
        let pids = [String(executor.process.processIdentifier), String(requester.process.processIdentifier), "self"]
        var blocks = Array(repeating: [Block](), count: series.count)
        var cpu = Array(repeating: [0.0, 0.0, 0.0], count: series.count)
        for index in Array(series.indices) + series.indices.reversed() {
            let (label, socket, skill, sampled) = series[index]
            let cpuBefore = pids.map(cpuMicroseconds)
            let block = try await closedLoop(
                socket: socket, skill: skill, tasks: max(1, options.tasks / 2), inflight: options.inflight,
                connections: options.inflightConnections, sampleInFlightAt: sampled)
            for (process, used) in zip(pids.map(cpuMicroseconds), cpuBefore).map({ $0 - $1 }).enumerated() { cpu[index][process] += used }
            blocks[index].append(block)
            print(String(format: "block %@: %.0f tasks/s (%d tasks in %.2f s, failures %d)", label, Double(block.samples.count) / block.seconds,
                block.samples.count, block.seconds, block.failures))
            if let first = block.firstFailure { print("  first failure: \(first)") }
        }
        var throughput: [(String, ThroughputResult)] = []
        for (index, (label, _, _, sampled)) in series.enumerated() {
            let samples = blocks[index].flatMap(\.samples)
            let seconds = blocks[index].map(\.seconds).reduce(0, +)
            // CPU time includes the warm-up tasks: counted over them too.
            let counted = Double(samples.count + blocks[index].count * 10 * options.inflight)
            let result = ThroughputResult(
                tasksPerSecond: Double(samples.count) / seconds, seconds: seconds, tasks: samples.count,
                failures: blocks[index].map(\.failures).reduce(0, +), firstFailure: blocks[index].compactMap(\.firstFailure).first,
                underLoad: Percentiles(samples), peakInFlight: sampled == nil ? nil : blocks[index].map(\.peakInFlight).max(),
                cpuPerTask: cpu[index].map { $0 / counted })
            throughput.append((label, result))
            print(String(format: "throughput %@: %.0f tasks/s (%d tasks, %d in flight over %d connections, %.2f s; failures %d%@); round trip under load %@",
                label, result.tasksPerSecond, result.tasks, options.inflight, options.inflightConnections, result.seconds, result.failures,
                result.peakInFlight.map { String(format: "; R's in-flight gauge peaked at %d", $0) } ?? "",
                result.underLoad.text))
            print(String(format: "  CPU per task: E %.0f µs, R %.0f µs, TaskLoad (load and application) %.0f µs", result.cpuPerTask[0], result.cpuPerTask[1], result.cpuPerTask[2]))
        }
        let ended = Date()
        print("measured \(Self.utc(started)) to \(Self.utc(ended)) UTC")
        print("the application ran \(handled.current) \(servedSkill) tasks; node.error notices: \(nodeErrors.current)")
        for node in [executor, requester] {
            let metrics = try await GridClient.withConnection(socketPath: node.socket) { try await $0.metrics() }
            for entry in metrics.skills {
                let t = entry.tasks
                print("\(node.name) counters for \(entry.skill): submitted \(t.submitted), completed \(t.completed), failed \(t.failed), retried \(t.retried), refused \(t.refused), run here \(t.executedLocally), delegated \(t.delegated)")
            }
            print("\(node.name) RSS after the run: \(node.rssKiB().map { String(format: "%.1f MiB", Double($0) / 1024) } ?? "unknown")")
        }

        print("\n| sync round trip | p50 | p99 | max |\n|---|---:|---:|---:|")
        for (label, figures) in sync {
            print(String(format: "| %@ | %.0f µs | %.0f µs | %.0f µs |", label, figures.p50, figures.p99, figures.max))
        }
        print("\n| \(options.inflight) in flight | tasks/s | round trip p50 | p99 | failures | CPU/task E | R | TaskLoad |\n|---|---:|---:|---:|---:|---:|---:|---:|")
        for (label, result) in throughput {
            print(String(format: "| %@ | %.0f | %.0f µs | %.0f µs | %d | %.0f µs | %.0f µs | %.0f µs |",
                label, result.tasksPerSecond, result.underLoad.p50, result.underLoad.p99, result.failures,
                result.cpuPerTask[0], result.cpuPerTask[1], result.cpuPerTask[2]))
        }
    }

    static func utc(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate, .withFullTime, .withSpaceBetweenDateAndTime]
        return formatter.string(from: date).replacingOccurrences(of: "Z", with: "")
    }

    /// One task with `wait: true`, timed from sending `task.submit` to its answer.
    static func timedTask(_ node: GridConnection, _ skill: String, _ input: String) async throws -> UInt64 {
        let start = nanoseconds()
        let view = try await node.submit(SubmitParams(skill: skill, input: input, wait: true))
        let took = nanoseconds() - start
        guard view.status == .succeeded, view.output == input else { throw Failure("\(skill) task \(view.taskId): \(view.status), \(view.output ?? "no output")") }
        return took
    }

    /// The sync series, interleaved round by round so that drift and background load fall on all of them alike.
    static func syncRounds(local: String, delegated: String, rounds: Int) async throws -> [(String, Percentiles)] {
        let labels = [
            "echo local (E)", "\(servedSkill) local (E)", "echo delegated (R -> E)", "\(servedSkill) delegated (R -> E)",
            "node.info to E (one bare JSON-RPC round trip)",
        ]
        let samples = try await GridClient.withConnection(socketPath: local) { onE in
            try await GridClient.withConnection(socketPath: delegated) { onR in
                var samples = Array(repeating: [UInt64](), count: labels.count)
                for index in samples.indices { samples[index].reserveCapacity(rounds) }
                let warmUp = min(200, rounds)
                for round in 0..<(warmUp + rounds) {
                    for step in 0..<labels.count {
                        let series = (round + step) % labels.count
                        let input = "ping \(round)"
                        let took: UInt64
                        switch series {
                        case 0: took = try await timedTask(onE, "echo", input)
                        case 1: took = try await timedTask(onE, servedSkill, input)
                        case 2: took = try await timedTask(onR, "echo", input)
                        case 3: took = try await timedTask(onR, servedSkill, input)
                        default:
                            let start = nanoseconds()
                            _ = try await onE.info()
                            took = nanoseconds() - start
                        }
                        if round >= warmUp { samples[series].append(took) }
                    }
                }
                return samples
            }
        }
        return zip(labels, samples.map(Percentiles.init)).map { ($0, $1) }
    }

    /// `inflight` workers, each with one task in flight at a time (`wait: true`), until `tasks` have ended.
    static func closedLoop(
        socket: String, skill: String, tasks: Int, inflight: Int, connections: Int, sampleInFlightAt sampled: String?
    ) async throws -> Block {
        let perConnection = inflight / connections
        let warmUp = 10 * inflight
        let issued = SharedCounter()
        let failures = SharedCounter()
        let peak = SharedCounter()
        let firstFailure = FirstMessage()
        let start = SharedCounter()  // raised to the clock when the first timed task is issued
        let samples = try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for _ in 0..<connections {
                group.addTask {
                    try await GridClient.withConnection(socketPath: socket) { node in
                        try await withThrowingTaskGroup(of: [UInt64].self) { workers in
                            for _ in 0..<perConnection {
                                workers.addTask {
                                    var mine: [UInt64] = []
                                    while true {
                                        let n = issued.next()
                                        guard n < warmUp + tasks else { return mine }
                                        if n == warmUp { start.raise(to: Int(nanoseconds())) }
                                        do {
                                            let took = try await timedTask(node, skill, "t\(n)")
                                            if n >= warmUp { mine.append(took) }
                                        } catch {
                                            if n >= warmUp { _ = failures.next() }
                                            firstFailure.keep("\(error)")
                                        }
                                    }
                                }
                            }
                            return try await workers.reduce(into: [UInt64]()) { $0 += $1 }
                        }
                    }
                }
            }
            if let sampled {
                group.addTask {
                    try await GridClient.withConnection(socketPath: sampled) { node in
                        while issued.current < warmUp + tasks {
                            if let held = try? await node.metrics().inFlight.map(\.tasks).max() { peak.raise(to: held) }
                            try await Task.sleep(for: .milliseconds(100))
                        }
                    }
                    return []
                }
            }
            return try await group.reduce(into: [UInt64]()) { $0 += $1 }
        }
        let seconds = Double(nanoseconds() - UInt64(start.current)) / 1e9
        guard !samples.isEmpty else { throw Failure("no \(skill) task succeeded: \(firstFailure.value ?? "")") }
        return Block(samples: samples, seconds: seconds, failures: failures.current, firstFailure: firstFailure.value, peakInFlight: peak.current)
    }
}
