import ArgumentParser
import Foundation
import GridClient
import GridCore
import GridLocalAPI

struct Tasks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the tasks submitted to the running node, newest first.")

    @OptionGroup var dataDir: DataDirOption

    @Option(help: "Only tasks in this state: running, succeeded or failed.")
    var status: String?

    @Option(help: "Only tasks of this skill.")
    var skill: String?

    @Option(help: "Most tasks to list (1-1000).")
    var limit = TaskListParams.defaultLimit

    @Flag(help: "Print a JSON array of TaskViews (without attempts).")
    var json = false

    func validate() throws {
        if let status, TaskView.Status(rawValue: status) == nil {
            throw ValidationError("--status must be running, succeeded or failed; got '\(status)'")
        }
        if !(1...TaskListParams.maxLimit).contains(limit) { throw ValidationError("--limit must be 1-\(TaskListParams.maxLimit)") }
    }

    func run() async throws {
        try await reportingErrors {
            let params = TaskListParams(status: status.flatMap(TaskView.Status.init(rawValue:)), skill: skill, limit: limit)
            let views = try await GridClient.withConnection(socketPath: dataDir.directory.socketPath) { try await $0.list(params) }
            if json { return try printJSON(views) }
            guard !views.isEmpty else { return print("no tasks") }
            print(Self.table(views))
        }
    }

    /// TASK ID, STATUS, SKILL, SUBMITTED (UTC), TOOK, EXECUTOR (short), one task a line.
    static func table(_ views: [TaskView]) -> String {
        var rows = [["TASK ID", "STATUS", "SKILL", "SUBMITTED", "TOOK", "EXECUTOR"]]
        for view in views {
            rows.append([
                view.taskId, view.status.rawValue, view.skill, TaskCommand.time(view.submittedAtMs),
                view.finishedAtMs.map { took($0 - view.submittedAtMs) } ?? "-", view.executor.map { String($0.prefix(8)) } ?? "-",
            ])
        }
        return TextTable.render(rows, minimumWidths: [32, 9, 5, 20, 9])
    }

    static func took(_ ms: Int64) -> String {
        ms < 1000 ? "\(ms) ms" : String(format: "%.1f s", Double(ms) / 1000)
    }
}

struct Wait: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Wait until the tasks have ended (or one has, with --any) and print each one's outcome; exits with 1 unless all succeeded.")

    @OptionGroup var dataDir: DataDirOption

    @Argument(help: "Task IDs that 'gridnode submit' printed (1-1000).")
    var taskIDs: [String]

    @Flag(name: .customLong("any"), help: "Answer as soon as one of the tasks has ended.")
    var anyOne = false

    @Option(help: "Wait at most this many seconds; tasks still running then are printed as pending.")
    var timeout: Double?

    @Flag(help: "Print the answer as JSON: {\"done\": [TaskView...], \"pending\": [task IDs]}.")
    var json = false

    func validate() throws {
        if taskIDs.isEmpty { throw ValidationError("give at least one task ID") }
        if taskIDs.count > TaskWaitParams.maxTaskIds { throw ValidationError("give at most \(TaskWaitParams.maxTaskIds) task IDs") }
        if let timeout, !(timeout > 0) { throw ValidationError("--timeout must be a positive number of seconds") }
    }

    func run() async throws {
        let result = try await reportingErrors {
            let params = TaskWaitParams(
                taskIds: taskIDs, mode: anyOne ? .any : .all, timeoutMs: timeout.map { Int(($0 * 1000).rounded(.up)) })
            return try await GridClient.withConnection(socketPath: dataDir.directory.socketPath) { try await $0.wait(params) }
        }
        if json {
            try printJSON(result)
        } else {
            for line in Self.outcomes(result) { print(line) }
        }
        guard result.pending.isEmpty, result.done.allSatisfy({ $0.status == .succeeded }) else { throw ExitCode.failure }
    }

    /// One line per task: done ones in the order asked, then the pending ones.
    static func outcomes(_ result: TaskWaitResult) -> [String] {
        result.done.map { view in
            switch view.status {
            case .succeeded:
                "\(view.taskId)  succeeded  \(view.output ?? view.outputBase64.map { "(base64) \($0)" } ?? "")"
            case .failed:
                "\(view.taskId)  failed     \(view.error.map { "\($0.code): \($0.message)" } ?? "")"
            case .running:
                "\(view.taskId)  running"
            }
        } + result.pending.map { "\($0)  pending    still running" }
    }
}
