import Foundation
import GridCore

/// Runs an operator's program once per task: the task's input on stdin, its stdout as the output.
///
/// - The program is run directly from its argv (no shell: write `["sh", "-c", "..."]` for one).
///   `command[0]` is looked up in the child's `PATH` unless it contains a `/`.
/// - It runs in a process group of its own, in a fresh work directory `workBase/<random hex>`
///   (its `HOME` and `TMPDIR`, removed afterwards), with a clean environment: only `PATH`
///   (``defaultPath``), `HOME`, `TMPDIR`, `LANG=C.UTF-8`, `GRID_TASK_ID` and `GRID_SKILL` when given,
///   and `environment` (which may override any of them).
/// - Exit status 0 is success. Otherwise the failure's message is the status or signal and the last
///   `stderrTailBytes` of its stderr (only that tail is kept).
/// - Output beyond `maxOutputBytes` kills the process group and fails the task.
/// - Cancelling the calling task (deadline passed, or the requester cancelled) sends SIGTERM to
///   the whole process group, then SIGKILL after `killGrace`. When the program exits, whatever it
///   left running in its group is killed too, so a task never leaves processes behind.
///
/// Every process is reaped. The work happens on two threads of the runner's own per task (one for
/// the pipes, one waiting for the exit), never on the cooperative pool.
public struct CommandRunner: Sendable, Equatable {
    /// The child's `PATH` unless `environment` sets one.
    public static let defaultPath = "/usr/local/bin:/usr/bin:/bin"

    /// The program and its arguments. Must not be empty.
    public var command: [String]
    /// Variables added to the clean environment (the operator's `env`). Default: none.
    public var environment: [String: String]
    /// The directory under which each run gets its work directory; created (mode 0700) if missing.
    public var workBase: String
    /// Most bytes of stdout accepted; more kills the program. Default 1048576 (`maxTaskBytes`).
    public var maxOutputBytes: Int
    /// How much of the end of stderr is kept for the failure message. Default 1000 bytes.
    public var stderrTailBytes: Int
    /// How long the program has to exit after SIGTERM before SIGKILL. Default 2 s.
    public var killGrace: Duration

    public init(
        command: [String], environment: [String: String] = [:], workBase: String,
        maxOutputBytes: Int = NodeSettings.default.maxTaskBytes, stderrTailBytes: Int = 1000, killGrace: Duration = .seconds(2)
    ) {
        self.command = command
        self.environment = environment
        self.workBase = workBase
        self.maxOutputBytes = maxOutputBytes
        self.stderrTailBytes = stderrTailBytes
        self.killGrace = killGrace
    }

    /// Runs the program on `input` and waits for it to end. `taskID` and `skill`, when given, are
    /// passed to it as `GRID_TASK_ID` and `GRID_SKILL`. Returns at once, as timed out, when the
    /// calling task is already cancelled; returns after the program and its group are gone when it
    /// is cancelled meanwhile.
    public func run(_ input: [UInt8], taskID: String? = nil, skill: String? = nil) async -> TaskOutcome {
        switch await execute(input, taskID: taskID, skill: skill) {
        case .failure(let failure): return .failure(failure)
        case .success(let termination): return outcome(of: termination, skill: skill)
        }
    }

    /// How one run ended, before it is judged.
    struct Termination: Sendable, Equatable {
        enum Status: Sendable, Equatable {
            case exited(Int32)
            case signalled(Int32)
            /// Reaped by someone else (SIGCHLD ignored in this process?).
            case lost
        }
        var status: Status
        var output: [UInt8]
        var stderrTail: [UInt8]
        var outputOverLimit: Bool
        var cancelled: Bool
    }

    func execute(_ input: [UInt8], taskID: String?, skill: String?) async -> Result<Termination, TaskFailure> {
        let control: ControlPipe
        do {
            control = try ControlPipe()
        } catch {
            return .failure(error)
        }
        let job = CommandJob(runner: self, input: input, taskID: taskID, skill: skill, control: control)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let thread = Thread { continuation.resume(returning: job.run()) }
                thread.name = "grid-command"
                thread.start()
            }
        } onCancel: {
            control.cancel()
        }
    }

    func outcome(of termination: Termination, skill: String?) -> TaskOutcome {
        if termination.cancelled {
            return .failure(TaskFailure(.timedOut, "killed: the task's deadline passed or it was cancelled"))
        }
        if termination.outputOverLimit {
            return .failure(
                TaskFailure(
                    .internal,
                    "output is over \(maxOutputBytes) bytes, the limit (maxTaskBytes); the program was killed. Make it write less, or raise maxTaskBytes on the node serving \(skill.map { "'\($0)'" } ?? "the skill")"
                ))
        }
        let tail = String(decoding: termination.stderrTail, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let detail = tail.isEmpty ? " (nothing on stderr)" : ": \(tail)"
        switch termination.status {
        case .exited(0):
            return .success(output: termination.output)
        case .exited(let code):
            return .failure(TaskFailure(.skillFailed, "exit status \(code)\(detail)"))
        case .signalled(let signal):
            return .failure(TaskFailure(.skillFailed, "killed by signal \(Self.signalName(signal))\(detail)"))
        case .lost:
            return .failure(TaskFailure(.internal, "the program's exit status was lost; something in the node reaps child processes (is SIGCHLD ignored?)"))
        }
    }

    /// The environment the program gets in `workDirectory`.
    func childEnvironment(workDirectory: String, taskID: String?, skill: String?) -> [String: String] {
        var env = ["PATH": Self.defaultPath, "HOME": workDirectory, "TMPDIR": workDirectory, "LANG": "C.UTF-8"]
        if let taskID { env["GRID_TASK_ID"] = taskID }
        if let skill { env["GRID_SKILL"] = skill }
        return env.merging(environment) { _, configured in configured }
    }

    static func signalName(_ signal: Int32) -> String {
        let names: [Int32: String] = [
            SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP", SIGABRT: "SIGABRT",
            SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGUSR1: "SIGUSR1", SIGSEGV: "SIGSEGV", SIGUSR2: "SIGUSR2",
            SIGPIPE: "SIGPIPE", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM", SIGXCPU: "SIGXCPU", SIGXFSZ: "SIGXFSZ",
        ]
        return names[signal].map { "\(signal) (\($0))" } ?? "\(signal)"
    }
}
