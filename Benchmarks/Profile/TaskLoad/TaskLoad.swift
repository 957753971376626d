import Foundation
import GridClient
import GridLocalAPI

struct Options {
    var gridnode = "../.build/release/gridnode"
    var sync = 2_000
    var tasks = 20_000
    var connections = 32
    /// `--served`: built-in `echo` against an application-served `bench.echo` (ServedLoad.swift).
    var served = false
    /// With `--served`: tasks kept in flight, and the connections they are spread over.
    var inflight = 64
    var inflightConnections = 8

    init(_ arguments: [String]) throws {
        var rest = arguments.dropFirst()
        while let flag = rest.popFirst() {
            if flag == "--served" {
                served = true
                continue
            }
            guard let value = rest.popFirst() else { throw Failure("\(flag) needs a value") }
            switch flag {
            case "--gridnode": gridnode = value
            case "--sync": sync = try Self.count(value, flag)
            case "--tasks": tasks = try Self.count(value, flag)
            case "--connections": connections = try Self.count(value, flag)
            case "--inflight": inflight = try Self.count(value, flag)
            case "--inflight-connections": inflightConnections = try Self.count(value, flag)
            default:
                throw Failure("unknown option \(flag); use --gridnode, --sync, --tasks, --connections, --served, --inflight, --inflight-connections")
            }
        }
        guard inflight % inflightConnections == 0, inflight / inflightConnections <= 64 else {
            throw Failure("--inflight must be a multiple of --inflight-connections, with at most 64 per connection (LocalAPI.maxConcurrentRequests)")
        }
    }

    static func count(_ value: String, _ flag: String) throws -> Int {
        guard let n = Int(value), n > 0 else { throw Failure("\(flag) must be a positive number") }
        return n
    }
}

struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One `gridnode run` process with its own data directory.
final class NodeProcess {
    let name: String
    let directory: String
    let process = Process()
    var socket: String { directory + "/gridnode.sock" }

    /// `settings` are written over the defaults `gridnode init` puts in config.json.
    init(name: String, root: String, gridnode: String, listen: Int, skills: [String], bootstrap: String?, settings: [String: Any] = [:]) throws {
        self.name = name
        directory = "\(root)/\(name)"
        let initialise = Process()
        initialise.executableURL = URL(fileURLWithPath: gridnode)
        initialise.arguments = ["init", "--data-dir", directory]
        initialise.standardOutput = FileHandle.nullDevice
        try initialise.run()
        initialise.waitUntilExit()
        guard initialise.terminationStatus == 0 else { throw Failure("gridnode init failed for \(name)") }
        if !settings.isEmpty {
            let config = URL(fileURLWithPath: directory + "/config.json")
            var values = try JSONSerialization.jsonObject(with: Data(contentsOf: config)) as? [String: Any] ?? [:]
            values.merge(settings) { _, new in new }
            try JSONSerialization.data(withJSONObject: values, options: [.prettyPrinted, .sortedKeys]).write(to: config)
        }
        process.executableURL = URL(fileURLWithPath: gridnode)
        var arguments = [
            "run", "--data-dir", directory, "--listen", "127.0.0.1:\(listen)", "--skills", skills.joined(separator: ","),
            "--log-level", "warning",
        ]
        if let bootstrap { arguments += ["--bootstrap", bootstrap] }
        process.arguments = arguments
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
    }

    /// VmRSS of the process, in KiB.
    func rssKiB() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8) else { return nil }
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
        return line.flatMap { Int($0.split(whereSeparator: \.isWhitespace).dropFirst().first ?? "") }
    }

    func stop() {
        process.interrupt()
        process.waitUntilExit()
    }
}

func nanoseconds() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

func percentile(_ sorted: [UInt64], _ p: Double) -> Double {
    Double(sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]) / 1000
}

/// Polls `body` every 20 ms until it is true, for at most `seconds`.
func waitFor(_ what: String, seconds: Double = 30, _ body: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while true {
        if (try? await body()) == true { return }
        guard Date() < deadline else { throw Failure("timed out waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(20))
    }
}

func syncLatency(_ label: String, socket: String, count: Int) async throws {
    let samples = try await GridClient.withConnection(socketPath: socket) { node in
        for _ in 0..<min(200, count) { _ = try await node.submit(SubmitParams(skill: "echo", input: "warm", wait: true)) }  // warm-up
        var samples: [UInt64] = []
        samples.reserveCapacity(count)
        for n in 0..<count {
            let start = nanoseconds()
            let view = try await node.submit(SubmitParams(skill: "echo", input: "ping \(n)", wait: true))
            samples.append(nanoseconds() - start)
            guard view.status == .succeeded else { throw Failure("task \(view.taskId) \(view.status)") }
        }
        return samples.sorted()
    }
    print(String(format: "%@ sync latency: p50 %.0f µs, p99 %.0f µs, max %.0f µs (%d tasks, one connection)",
        label, percentile(samples, 0.50), percentile(samples, 0.99), percentile(samples, 1.0), count))
}

func asyncThroughput(_ label: String, socket: String, tasks: Int, connections: Int) async throws {
    let perConnection = tasks / connections
    let start = nanoseconds()
    let ends = try await withThrowingTaskGroup(of: (last: String, refused: Int).self) { group in
        for _ in 0..<connections {
            group.addTask {
                try await GridClient.withConnection(socketPath: socket) { node in
                    var last = ""
                    var refused = 0
                    for n in 0..<perConnection {
                        // A node whose own queue of waiting work is at its bound refuses the
                        // submission (-32003 queue_full): back off a little and submit again.
                        while true {
                            do {
                                last = try await node.submit(SubmitParams(skill: "echo", input: "t\(n)")).taskId
                                break
                            } catch let error as RPCError where error.data?.reason == "queue_full" {
                                refused += 1
                                try await Task.sleep(for: .milliseconds(5))
                            }
                        }
                    }
                    return (last, refused)
                }
            }
        }
        return try await group.reduce(into: [(last: String, refused: Int)]()) { $0.append($1) }
    }
    let lastIDs = ends.map(\.last)
    let submitted = nanoseconds()
    let refusals = ends.reduce(0) { $0 + $1.refused }
    if refusals > 0 {
        print("\(label): \(refusals) submissions refused as queue_full (the waiting bound) and submitted again after 5 ms")
    }
    try await GridClient.withConnection(socketPath: socket) { node in
        for id in lastIDs {
            try await waitFor("task \(id)", seconds: 300) { try await node.task(id).status != .running }
        }
    }
    let done = nanoseconds()
    let total = perConnection * connections
    print(String(format: "%@ async throughput: %.0f tasks/s (%d tasks over %d connections: submitted in %.2f s, all done in %.2f s)",
        label, Double(total) / (Double(done - start) / 1e9), total, connections, Double(submitted - start) / 1e9, Double(done - start) / 1e9))
    // "Done" is any end: say how many failed (the node's counters; every sync task before succeeded).
    let metrics = try await GridClient.withConnection(socketPath: socket) { try await $0.metrics() }
    let reasons = metrics.failedByReason.map { "\($0.reason) \($0.count)" }.joined(separator: ", ")
    print("\(label) tasks ended so far: \(metrics.tasks.completed) succeeded, \(metrics.tasks.failed) failed\(reasons.isEmpty ? "" : " (\(reasons))")")
}


enum TaskLoad {
    /// The whole run; returns the process's exit status.
    static func run(_ arguments: [String]) async -> Int32 {
        let options: Options
        do { options = try Options(arguments) } catch {
            print("TaskLoad: \(error)")
            return 2
        }
        do {
            if options.served { try await ServedLoad.measure(options) } else { try await measure(options) }
            return 0
        } catch {
            print("TaskLoad: \(error)")
            return 1
        }
    }

    static func measure(_ options: Options) async throws {
        guard FileManager.default.isExecutableFile(atPath: options.gridnode) else {
            throw Failure(
                "no gridnode at \(options.gridnode); build it with `swift build -c release --product gridnode` in the root package, or pass --gridnode PATH")
        }
        let root = NSTemporaryDirectory() + "taskload-\(getpid())"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let basePort = 20_000 + Int(getpid() % 20_000)
        let bootstrap = root + "/bootstrap.json"
        try Data("""
            {"peers": [{"name": "executor", "address": "127.0.0.1", "port": \(basePort + 2)}]}
            """.utf8).write(to: URL(fileURLWithPath: bootstrap))

        let local = try NodeProcess(name: "local", root: root, gridnode: options.gridnode, listen: basePort, skills: ["echo"], bootstrap: nil)
        let executor = try NodeProcess(name: "executor", root: root, gridnode: options.gridnode, listen: basePort + 2, skills: ["echo"], bootstrap: nil)
        let requester = try NodeProcess(
            name: "requester", root: root, gridnode: options.gridnode, listen: basePort + 1, skills: ["sleep"], bootstrap: bootstrap)
        defer {
            for node in [local, executor, requester] { node.stop() }
            try? FileManager.default.removeItem(atPath: root)
        }
        for node in [local, executor, requester] {
            try await waitFor("\(node.name)'s socket") { FileManager.default.fileExists(atPath: node.socket) }
        }
        try await waitFor("the requester to see the executor's echo") {
            try await GridClient.withConnection(socketPath: requester.socket) { node in
                try await node.route(RouteParams(skill: "echo")).contains { $0.rank != nil && !$0.local }
            }
        }
        try await Task.sleep(for: .seconds(2))
        for node in [local, executor, requester] {
            print("\(node.name) idle RSS: \(node.rssKiB().map { String(format: "%.1f MiB", Double($0) / 1024) } ?? "unknown")")
        }
        try await syncLatency("local (echo on L)", socket: local.socket, count: options.sync)
        try await syncLatency("remote (echo R -> E)", socket: requester.socket, count: options.sync)
        try await asyncThroughput("local (echo on L)", socket: local.socket, tasks: options.tasks, connections: options.connections)
        try await asyncThroughput("remote (echo R -> E)", socket: requester.socket, tasks: options.tasks, connections: options.connections)
        for node in [local, executor, requester] {
            print("\(node.name) RSS after the run: \(node.rssKiB().map { String(format: "%.1f MiB", Double($0) / 1024) } ?? "unknown")")
        }
    }
}
