import ArgumentParser
import Foundation
import GridClient
import GridCore
import GridLocalAPI
import GridNode

#if canImport(Glibc)
import Glibc
#endif

/// `gridnode serve SKILL -- COMMAND ARGS...`: serves a skill on the running node by running a
/// program per task, for as long as it runs (an application of the local API).
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a skill on the running node by running a program for each task, until interrupted.",
        discussion: """
            Each task's input goes to the program's stdin; its stdout is the output. A non-zero exit fails the task \
            with the end of stderr as the message. The program runs in a process group of its own (killed when the task \
            is cancelled or its deadline passes), in a fresh work directory, with a clean environment that has \
            GRID_TASK_ID and GRID_SKILL. Example: gridnode serve text.upper -- tr a-z A-Z
            """)

    @OptionGroup var dataDir: DataDirOption

    @Argument(help: "The skill to serve, e.g. text.upper.")
    var skill: String

    @Option(help: "Tasks run at once (1-1024).")
    var capacity = 1

    @Option(help: "A short description, shown to peers' operators.")
    var description: String?

    @Flag(help: "The output depends only on the input: announced to peers as deterministic, so other nodes may verify its results by running the task themselves.")
    var deterministic = false

    @Option(name: .customLong("env"), help: "NAME=VALUE added to the program's environment (repeatable).")
    var environment: [String] = []

    @Argument(parsing: .postTerminator, help: "The program and its arguments, after --.")
    var command: [String] = []

    func validate() throws {
        guard !command.isEmpty else { throw ValidationError("give the program after --, e.g. gridnode serve \(skill) -- tr a-z A-Z") }
        guard (1...LocalAPI.maxServeCapacity).contains(capacity) else { throw ValidationError("--capacity must be 1-\(LocalAPI.maxServeCapacity)") }
        _ = try environmentVariables()
    }

    func environmentVariables() throws -> [String: String] {
        var variables: [String: String] = [:]
        for entry in environment {
            guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex else {
                throw ValidationError("--env takes NAME=VALUE; got '\(entry)'")
            }
            variables[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
        }
        return variables
    }

    func run() async throws {
        let directory = dataDir.directory
        let runner = CommandRunner(command: command, environment: try environmentVariables(), workBase: directory.workPath)
        try await reportingErrors {
            try await GridClient.withConnection(socketPath: directory.socketPath) { node in
                node.onNodeError { notice in Console.error("node: \(notice.message)\n") }
                let served = try await node.serve(skill, capacity: capacity, description: description, deterministic: deterministic) { task in
                    switch await runner.run(task.input, taskID: task.taskID, skill: task.skill) {
                    case .success(let output): return output
                    case .failure(let failure):
                        throw SkillError(failure.message, reason: failure.code == .skillFailed ? "skill_failed" : "internal")
                    }
                }
                let capacity = served.served.first { $0.name == skill }?.capacity ?? capacity
                Console.error("serving \(skill) (capacity \(capacity)) with \(command.joined(separator: " ")); Ctrl-C to stop\n")
                await untilInterrupted { await node.untilClosed() }
                Console.error("stopped serving \(skill)\n")
            }
        }
    }
}

/// Runs `body` until it returns, or SIGINT or SIGTERM arrives (then it is cancelled).
func untilInterrupted(_ body: @escaping @Sendable () async -> Void) async {
    signal(SIGINT, SIG_IGN)
    signal(SIGTERM, SIG_IGN)
    let signals = [SIGINT, SIGTERM].map { DispatchSource.makeSignalSource(signal: $0, queue: .global()) }
    defer { signals.forEach { $0.cancel() } }
    await withTaskGroup(of: Void.self) { group in
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self)
        for source in signals {
            source.setEventHandler { continuation.yield() }
            source.resume()
        }
        group.addTask { await body() }
        group.addTask {
            for await _ in stream { return }
        }
        await group.next()
        continuation.finish()
        group.cancelAll()
    }
}
