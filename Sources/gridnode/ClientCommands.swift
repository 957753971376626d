import ArgumentParser
import Foundation
import GridClient
import GridCore
import GridLocalAPI
import GridNode

struct Submit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Submit a task to the running node; prints its output with --wait, else its task ID.")

    @OptionGroup var dataDir: DataDirOption

    @Argument(help: "The skill to run, e.g. sha256.")
    var skill: String

    @Option(help: "The input, as text.")
    var input: String?

    @Option(name: .customLong("input-file"), help: "Read the input from this file instead (any bytes).")
    var inputFile: String?

    @Flag(help: "Wait for the result and print it; progress goes to stderr (a bar on a terminal, plain lines otherwise).")
    var wait = false

    @Flag(help: "With --wait, show no progress.")
    var quiet = false

    @Option(help: "Seconds the task may take (default: the node's defaultTaskTimeoutMs).")
    var timeout: Double?

    @Option(help: "Run on this many distinct nodes and accept the output a strict majority agrees on (1-7).")
    var replicas: Int?

    @Option(help: "low, normal, high or critical, or a level 0-255 (192-255 critical, 128-191 high, 64-127 normal, 0-63 low). Default normal (96).")
    var priority: String?

    @Flag(help: "Print the task as JSON (the TaskView), with --wait once it has ended.")
    var json = false

    @Flag(help: "The output depends only on skill and input: reuse an identical task's recent result.")
    var cacheable = false

    @Flag(name: .customLong("retry-errors"), help: "Retry the task elsewhere even when the skill reports an error.")
    var retryErrors = false

    @Option(name: .customLong("idempotency-key"), help: "1-128 characters: submitting the same request with this key again gets the first task back instead of a new one.")
    var idempotencyKey: String?

    /// The priority level `--priority` names.
    var priorityLevel: Int? {
        get throws {
            guard let priority else { return nil }
            if let named = TaskPriority(name: priority) { return Int(named.defaultLevel) }
            guard let level = Int(priority), (0...255).contains(level) else {
                throw ValidationError("--priority must be low, normal, high, critical or a number 0-255; got '\(priority)'")
            }
            return level
        }
    }

    @Option(name: .customLong("min-trust"), help: "The least trust (0-1) an executor must have.")
    var minTrust: Double?

    @Option(help: "sample (default: a share of results is re-run on another node after delivery), strict (no result before a second run agrees with it) or off.")
    var verify: String?

    func validate() throws {
        if input != nil && inputFile != nil { throw ValidationError("give --input or --input-file, not both") }
        if let replicas, !(1...7).contains(replicas) { throw ValidationError("--replicas must be 1-7") }
        if let minTrust, !(0...1).contains(minTrust) { throw ValidationError("--min-trust must be between 0 and 1") }
        _ = try priorityLevel
        if let timeout, !(timeout > 0) { throw ValidationError("--timeout must be a positive number of seconds") }
        if let verify, VerifyMode(rawValue: verify) == nil { throw ValidationError("--verify must be sample, strict or off; got '\(verify)'") }
    }

    func run() async throws {
        try await reportingErrors {
            var params = SubmitParams(
                skill: skill, input: input, wait: wait, timeoutMs: timeout.map { Int(($0 * 1000).rounded(.up)) },
                priority: try priorityLevel, replicas: replicas, minTrust: minTrust, cacheable: cacheable ? true : nil,
                retryApplicationErrors: retryErrors ? true : nil, idempotencyKey: idempotencyKey, verify: verify)
            if let inputFile {
                guard let data = FileManager.default.contents(atPath: inputFile) else {
                    throw GridError(.invalidArgument, "cannot read --input-file \(inputFile)")
                }
                params.inputBase64 = data.base64EncodedString()
            }
            let display = wait && !json && !quiet ? ProgressDisplay() : nil
            defer { display?.finish() }
            let view = try await GridClient.withConnection(socketPath: dataDir.directory.socketPath) { node in
                guard let display else { return try await node.submit(params) }
                return try await node.submit(params, onSubmitted: { id in
                    Console.error("task \(id)\n")
                }, onEvent: display.show)
            }
            if json { return try printJSON(view) }
            guard wait else { return print(view.taskId) }
            printOutput(of: view)
        }
    }
}

/// Writes a finished task's output to stdout: its text, or its bytes.
func printOutput(of view: TaskView) {
    if let text = view.output {
        print(text)
    } else if let base64 = view.outputBase64, let data = Data(base64Encoded: base64) {
        Console.out(data)
    }
}

struct TaskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "task", abstract: "Show a task submitted to this node.")

    @OptionGroup var dataDir: DataDirOption

    @Argument(help: "The task ID that 'gridnode submit' printed.")
    var taskID: String

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(help: "Follow the task until it ends, showing its progress on stderr, then print its output (or exit 1 with its error).")
    var follow = false

    func run() async throws {
        try await reportingErrors {
            if follow {
                let display = json ? nil : ProgressDisplay()
                defer { display?.finish() }
                let view = try await GridClient.withConnection(socketPath: dataDir.directory.socketPath) { node in
                    try await node.watch(taskID) { display?.show($0) }
                }
                return json ? try printJSON(view) : printOutput(of: view)
            }
            let view = try await GridClient.withConnection(socketPath: dataDir.directory.socketPath) { try await $0.task(taskID) }
            if json { return try printJSON(view) }
            print("task      \(view.taskId)\nskill     \(view.skill)\nstatus    \(view.status.rawValue)")
            if let executor = view.executor { print("executor  \(executor)") }
            if let output = view.output { print("output    \(output)") }
            if let base64 = view.outputBase64 { print("output    (base64) \(base64)") }
            if let error = view.error { print("error     \(error.code): \(error.message)") }
            print("submitted \(Self.time(view.submittedAtMs))")
            if let finished = view.finishedAtMs { print("finished  \(Self.time(finished)) (\(finished - view.submittedAtMs) ms)") }
            for (n, attempt) in (view.attempts ?? []).enumerated() {
                let latency = attempt.latencyMs.map { String(format: "%.1f ms", $0) } ?? "-"
                let replica = attempt.replica > 0 ? " (replica \(attempt.replica + 1))" : ""
                print("attempt \(n + 1)  \(attempt.nodeId.prefix(16))…  \(attempt.outcome)  \(latency)\(replica)")
            }
        }
    }
}

extension TaskCommand {
    /// A wall-clock instant in ms, as ISO 8601 UTC.
    static func time(_ ms: Int64) -> String {
        Date(timeIntervalSince1970: Double(ms) / 1000).formatted(.iso8601)
    }
}

struct Cancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cancel a task still in flight; a peer running it is told to stop.")

    @OptionGroup var dataDir: DataDirOption

    @Argument(help: "The task ID that 'gridnode submit' printed.")
    var taskID: String

    func run() async throws {
        try await reportingErrors {
            let view = try await GridClient.withConnection(socketPath: dataDir.directory.socketPath) { try await $0.cancel(taskID) }
            if view.error?.code == TaskFailure.Code.cancelled.rawValue {
                print("cancelled")
            } else {
                print("task \(view.taskId) had already ended: \(view.status.rawValue)")
            }
        }
    }
}

struct Peers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, add, ban, unban or remove peers of the running node.",
        subcommands: [List.self, Add.self, Ban.self, Unban.self, Remove.self, Evidence.self],
        defaultSubcommand: List.self)

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Dial ADDRESS:PORT and keep it connected; with --node-id only that node may answer there, and it is pinned.")

        @OptionGroup var dataDir: DataDirOption

        @Argument(help: "The peer's address, host:port.")
        var address: String

        @Option(name: .customLong("node-id"), help: "The node ID that must answer at that address (64 hex digits).")
        var nodeID: String?

        func run() async throws {
            try await reportingErrors {
                let result = try await GridClient.withConnection(socketPath: dataDir.directory.socketPath) {
                    try await $0.addPeer(PeerAddParams(address: address, nodeId: nodeID))
                }
                print(result.done)
            }
        }
    }

    struct Ban: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disconnect NODEID and never dial or accept it again.")

        @OptionGroup var dataDir: DataDirOption

        @Argument(help: "The node ID to ban (64 hex digits).")
        var nodeID: String

        @Option(help: "Why, for the record.")
        var reason: String?

        func run() async throws {
            try await reportingErrors {
                let result = try await GridClient.withConnection(socketPath: dataDir.directory.socketPath) {
                    try await $0.banPeer(PeerBanParams(nodeId: nodeID, reason: reason))
                }
                print(result.done)
            }
        }
    }
}

extension Peers {
    struct Unban: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lift NODEID's ban (the operator's, or one for misbehaviour) and clear its misbehaviour score.")

        @OptionGroup var dataDir: DataDirOption

        @Argument(help: "The node ID to unban (64 hex digits).")
        var nodeID: String

        func run() async throws {
            try await reportingErrors {
                let result = try await GridClient.withConnection(socketPath: dataDir.directory.socketPath) { try await $0.unbanPeer(nodeID) }
                print(result.done)
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take a peer out of the address book and stop dialling it: undoes a mistyped 'peers add --node-id'.",
            discussion: "PEER is a node ID (64 hex digits) or an address (host:port); an address removes every peer listed there.")

        @OptionGroup var dataDir: DataDirOption

        @Argument(help: "The node ID, or the host:port, to remove.")
        var peer: String

        func run() async throws {
            try await reportingErrors {
                let params = peer.count == 64 && peer.allSatisfy(\.isHexDigit) ? PeerRemoveParams(nodeId: peer) : PeerRemoveParams(address: peer)
                let result = try await GridClient.withConnection(socketPath: dataDir.directory.socketPath) { try await $0.removePeer(params) }
                print(result.done)
            }
        }
    }
}

struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the peers the running node is connected to.")

    @OptionGroup var dataDir: DataDirOption

    @Flag(help: "Print a JSON array of objects with nodeId, address, listenAddress, direction, skills, connectedAtMs, state, trust, successRate, latencyMs, wrongResults, misbehaviour, misbehaviourScore, bannedUntilMs.")
    var json = false

    func run() async throws {
        try await reportingErrors {
            let peers = try await GridClient.withConnection(socketPath: dataDir.directory.socketPath) { try await $0.peers() }
            if json { return try printJSON(peers) }
            if !peers.contains(where: { $0.state == "alive" || $0.state == "suspect" }) {
                print("no peers connected: this node runs alone")
                guard !peers.isEmpty else { return }
            }
            var rows = [["NODE ID", "STATE", "RTT", "TRUST", "SUCCESS", "LATENCY", "WRONG", "OFFENCES", "DIRECTION", "ADDRESS", "SKILLS"]]
            for peer in peers {
                let address = peer.listenAddress.isEmpty ? peer.address : peer.listenAddress
                let rtt = peer.rttMs.map { String(format: "%.2fms", $0) } ?? "-"
                let trust = peer.trust.map { String(format: "%.2f", $0) } ?? "-"
                let success = peer.successRate.map { String(format: "%.0f%% of %d", $0 * 100, peer.samples) } ?? "-"
                let latency = peer.latencyMs.map { String(format: "%.1fms", $0) } ?? "-"
                let state = peer.bannedUntilMs.map { "banned until \(TaskCommand.time($0))" } ?? peer.state
                let offences = peer.misbehaviour == 0 ? "0" : "\(peer.misbehaviour) (\(String(format: "%.0f", peer.misbehaviourScore ?? 0)))"
                rows.append([
                    peer.nodeId, state, rtt, trust, success, latency, "\(peer.wrongResults)", offences, peer.direction, address,
                    peer.skills.joined(separator: ","),
                ])
            }
            print(TextTable.render(rows, minimumWidths: [64, 10, 9, 6, 12, 9, 5, 8, 9, 21]))
        }
    }
}

struct Evidence: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the wrong results on record, found here or shared by peers: each peer's signed result and the signed result it contradicts.")

    @OptionGroup var dataDir: DataDirOption

    @Argument(help: "Only the evidence against this node ID.")
    var nodeId: String?

    @Option(help: "Most entries, newest first (1-1000).")
    var limit = 100

    @Flag(help: "Print a JSON array with both signed results in hex (serialized grid.v1.SignedEnvelope), and the whole proof passed to peers (conviction, a serialized grid.v1.ConvictionEvidence) where there is one.")
    var json = false

    func run() async throws {
        try await reportingErrors {
            let entries = try await GridClient.withConnection(socketPath: dataDir.directory.socketPath) { node in
                try await node.evidence(EvidenceParams(nodeId: nodeId, limit: limit))
            }
            if json { return try printJSON(entries) }
            guard !entries.isEmpty else { return print("no wrong results on record") }
            for entry in entries {
                let by = switch entry.kind {
                case "spot_check": "this node's own run"
                case "shared": "evidence a peer shared, witness \(entry.otherNodeId.prefix(16))…"
                default: "the replicas' majority (\(entry.otherNodeId.prefix(16))…)"
                }
                print("\(entry.nodeId.prefix(16))…  task \(entry.taskId)  \(entry.skill)  \(entry.kind)")
                print("    its output \(entry.theirDigest.prefix(16))…  contradicted by \(by): \(entry.otherDigest.prefix(16))…")
            }
        }
    }
}

struct RouteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route",
        abstract: "Explain how the running node would route a task of SKILL now: every candidate's score and its parts, and the filter that removed each other node.")

    @OptionGroup var dataDir: DataDirOption

    @Argument(help: "The skill, e.g. sha256.")
    var skill: String

    @Option(name: .customLong("min-trust"), help: "The least trust (0-1) the task would ask of its executor.")
    var minTrust: Double?

    @Flag(help: "Print a JSON array, best first, of objects with nodeId, local, rank, score, trust, rating, latency, load, recency, samples; excluded nodes follow with excluded and reason.")
    var json = false

    func validate() throws {
        if let minTrust, !(0...1).contains(minTrust) { throw ValidationError("--min-trust must be between 0 and 1") }
    }

    func run() async throws {
        try await reportingErrors {
            let entries = try await GridClient.withConnection(socketPath: dataDir.directory.socketPath) { node in
                try await node.route(RouteParams(skill: skill, minTrust: minTrust))
            }
            if json { return try printJSON(entries) }
            let ranked = entries.filter { $0.rank != nil }
            if ranked.isEmpty {
                print("no node can run '\(skill)' now")
            } else {
                var rows = [["RANK", "NODE ID", "SCORE", "TRUST", "RATING", "LATENCY", "LOAD", "RECENT", "SAMPLES"]]
                func f(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "-" }
                for entry in ranked {
                    rows.append([
                        "\(entry.rank ?? 0)", entry.nodeId, f(entry.score), f(entry.trust), f(entry.rating), f(entry.latency),
                        f(entry.load), f(entry.recency), "\(entry.samples ?? 0)" + (entry.local ? "  (this node)" : ""),
                    ])
                }
                print(TextTable.render(rows, minimumWidths: [4, 64, 6, 6, 6, 7, 6, 6]))
            }
            let excluded = entries.filter { $0.rank == nil }
            if !excluded.isEmpty {
                print("\nexcluded:")
                for entry in excluded {
                    print("  \(entry.nodeId)\(entry.local ? " (this node)" : ""): \(entry.reason ?? entry.excluded ?? "")")
                }
            }
        }
    }
}

struct MetricsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Show the running node's task metrics: counts, success rate, latencies, queue depth, tasks in flight.")

    @OptionGroup var dataDir: DataDirOption

    @Flag(help: "Print the metrics snapshot as JSON (the same as DIR/metrics.json and the local API's node.metrics).")
    var json = false

    func run() async throws {
        try await reportingErrors {
            let metrics = try await GridClient.withConnection(socketPath: dataDir.directory.socketPath) { try await $0.metrics() }
            if json { return try printJSON(metrics) }
            let t = metrics.tasks
            print("tasks      submitted \(t.submitted), completed \(t.completed), failed \(t.failed) (timed out \(t.timedOut))")
            print("           retried \(t.retried), refused \(t.refused), run here \(t.executedLocally), delegated \(t.delegated)")
            print("success    \(metrics.successRate.map { String(format: "%.1f%%", $0 * 100) } ?? "-")")
            func line(_ name: String, _ summary: LatencySummary?) {
                guard let s = summary else { return print("\(name) -") }
                func ms(_ us: UInt64) -> String { String(format: "%.2f", Double(us) / 1000) }
                print("\(name) min \(ms(s.minUs))  p50 \(ms(s.p50Us))  p95 \(ms(s.p95Us))  p99 \(ms(s.p99Us))  max \(ms(s.maxUs)) ms  (\(s.count) tasks)")
            }
            line("end to end", metrics.latency.endToEnd)
            line("execution ", metrics.latency.execution)
            let q = metrics.queueDepth
            print("queued     critical \(q.critical), high \(q.high), normal \(q.normal), low \(q.low)")
            for entry in metrics.inFlight { print("in flight  \(entry.peer.prefix(16))…  \(entry.tasks)") }
            for failure in metrics.failedByReason where failure.count > 0 { print("failed     \(failure.reason): \(failure.count)") }
            for skill in metrics.skills {
                print("skill      \(skill.skill): submitted \(skill.tasks.submitted), completed \(skill.tasks.completed), failed \(skill.tasks.failed)")
            }
            for peer in metrics.peers {
                print("peer       \(peer.peer.prefix(16))…: delegated \(peer.tasks.delegated), completed \(peer.tasks.completed), failed \(peer.tasks.failed), refused \(peer.tasks.refused)")
            }
        }
    }
}
