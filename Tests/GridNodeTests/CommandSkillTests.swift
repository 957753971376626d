#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import GridCore
import GridTestKit
import Testing

@testable import GridNode

/// Real programs run by ``CommandRunner``: /bin/sh and coreutils.
@Suite struct CommandSkillTests {
    /// A runner for `command` with its work directories under a fresh temporary directory.
    func withRunner<R>(
        _ command: [String], environment: [String: String] = [:], maxOutputBytes: Int = 1 << 20, killGrace: Duration = .seconds(2),
        _ body: (CommandRunner, String) async throws -> R
    ) async throws -> R {
        let directory = try TemporaryDirectory(prefix: "gridcmd")
        defer { directory.remove() }
        let runner = CommandRunner(
            command: command, environment: environment, workBase: directory.path + "/work", maxOutputBytes: maxOutputBytes, killGrace: killGrace)
        return try await body(runner, directory.path)
    }

    func failure(_ outcome: TaskOutcome) -> TaskFailure? {
        if case .failure(let failure) = outcome { return failure }
        Issue.record("expected a failure, got \(outcome)")
        return nil
    }

    @Test func theOutputIsWhatTheProgramWrites() async throws {
        try await withRunner(["tr", "a-z", "A-Z"]) { runner, _ in
            #expect(await runner.run(Array("hello, grid".utf8)) == .success(output: Array("HELLO, GRID".utf8)))
        }
    }

    @Test func anInputMuchLargerThanAPipeBufferIsEchoedWithoutDeadlock() async throws {
        // cat writes as it reads: stdin is fed while stdout is drained, or both would block.
        var generator = SeededRandomNumberGenerator(seed: 7)
        let input = (0..<(3 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try await withRunner(["cat"], maxOutputBytes: 4 << 20) { runner, _ in
            #expect(await runner.run(input) == .success(output: input))
        }
    }

    @Test func aProgramThatReadsNoInputStillSucceeds() async throws {
        try await withRunner(["sh", "-c", "echo done"]) { runner, _ in
            #expect(await runner.run([UInt8](repeating: 65, count: 1 << 20)) == .success(output: Array("done\n".utf8)))
        }
        try await withRunner(["cat"]) { runner, _ in
            #expect(await runner.run([]) == .success(output: []))
        }
    }

    @Test func aNonZeroExitFailsWithTheStatusAndTheEndOfStderr() async throws {
        try await withRunner(["sh", "-c", "echo oops >&2; exit 3"]) { runner, _ in
            let failure = failure(await runner.run([]))
            #expect(failure == TaskFailure(.skillFailed, "exit status 3: oops"))
        }
    }

    @Test func onlyTheTailOfStderrIsKept() async throws {
        try await withRunner(["sh", "-c", "head -c 300000 /dev/zero | tr '\\000' x >&2; echo THE-END >&2; exit 1"]) { runner, _ in
            let message = failure(await runner.run([]))?.message ?? ""
            #expect(message.hasPrefix("exit status 1: xxx"))
            #expect(message.hasSuffix("xTHE-END"))
            #expect(message.utf8.count <= 1000 + "exit status 1: ".utf8.count)
        }
    }

    @Test func aProgramKilledByASignalFailsNamingIt() async throws {
        try await withRunner(["sh", "-c", "kill -9 $$"]) { runner, _ in
            #expect(failure(await runner.run([])) == TaskFailure(.skillFailed, "killed by signal 9 (SIGKILL) (nothing on stderr)"))
        }
    }

    @Test func outputOverTheLimitKillsTheProgramAndNamesTheSetting() async throws {
        try await withRunner(["yes"], maxOutputBytes: 1000) { runner, _ in
            let failure = failure(await runner.run([]))
            #expect(failure?.code == .internal)
            #expect(failure?.message.hasPrefix("output is over 1000 bytes, the limit (maxTaskBytes)") == true, "\(failure?.message ?? "")")
        }
        try await withRunner(["head", "-c", "1000", "/dev/zero"], maxOutputBytes: 1000) { runner, _ in
            #expect(await runner.run([]) == .success(output: [UInt8](repeating: 0, count: 1000)), "exactly the limit is fine")
        }
    }

    @Test func aMissingProgramTellsTheOperatorWhatToFix() async throws {
        try await withRunner(["no-such-program-grid"]) { runner, _ in
            let failure = failure(await runner.run([], skill: "upper"))
            #expect(failure?.code == .internal)
            #expect(failure?.message.contains("command skill 'upper': program 'no-such-program-grid' was not found in PATH (/usr/local/bin:/usr/bin:/bin)") == true)
        }
        try await withRunner(["/nonexistent/tool"]) { runner, _ in
            #expect(failure(await runner.run([]))?.message.contains("does not exist") == true)
        }
    }

    @Test func aFileThatIsNotExecutableSaysSo() async throws {
        try await withRunner([]) { _, root in
            let script = root + "/script.sh"
            try "echo hi\n".write(toFile: script, atomically: true, encoding: .utf8)
            let runner = CommandRunner(command: [script], workBase: root + "/work")
            let failure = failure(await runner.run([]))
            #expect(failure?.code == .internal)
            #expect(failure?.message.contains("is not executable; chmod +x it") == true, "\(failure?.message ?? "")")
        }
    }

    @Test func theEnvironmentIsCleanAndCarriesTheTask() async throws {
        try await withRunner(["env"], environment: ["MODEL": "small"]) { runner, _ in
            guard case .success(let output) = await runner.run([], taskID: "00ff", skill: "upper") else {
                Issue.record("env failed")
                return
            }
            var variables: [String: String] = [:]
            for line in String(decoding: output, as: UTF8.self).split(separator: "\n") {
                let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
                variables[parts[0]] = parts.count > 1 ? parts[1] : ""
            }
            #expect(Set(variables.keys) == ["PATH", "HOME", "TMPDIR", "LANG", "GRID_TASK_ID", "GRID_SKILL", "MODEL"])
            #expect(variables["PATH"] == "/usr/local/bin:/usr/bin:/bin")
            #expect(variables["LANG"] == "C.UTF-8")
            #expect(variables["GRID_TASK_ID"] == "00ff")
            #expect(variables["GRID_SKILL"] == "upper")
            #expect(variables["MODEL"] == "small")
            #expect(variables["TMPDIR"] == variables["HOME"])
        }
    }

    @Test func eachRunHasItsOwnWorkDirectoryRemovedAfterwards() async throws {
        try await withRunner(["sh", "-c", #"pwd; test "$HOME" = "$(pwd)" && test -d "$TMPDIR" && echo scratch > file && cat file"#]) { runner, root in
            guard case .success(let output) = await runner.run([]) else {
                Issue.record("the script failed")
                return
            }
            let lines = String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)
            #expect(lines.count == 2)
            #expect(lines.last == "scratch")
            let directory = lines.first ?? ""
            #expect(directory.hasPrefix(root + "/work/"))
            #expect(!FileManager.default.fileExists(atPath: directory))
            let left = try FileManager.default.contentsOfDirectory(atPath: root + "/work")
            #expect(left.isEmpty)
            guard case .success(let second) = await runner.run([]) else { return }
            #expect(String(decoding: second, as: UTF8.self).split(separator: "\n").first.map(String.init) != directory)
        }
    }

    @Test func cancellingKillsTheWholeProcessGroup() async throws {
        try await withRunner([]) { _, root in
            let runner = CommandRunner(
                command: ["sh", "-c", "sleep 300 & echo $! > \(root)/child.tmp && mv \(root)/child.tmp \(root)/child; echo $$ > \(root)/shell.tmp && mv \(root)/shell.tmp \(root)/shell; sleep 300"],
                workBase: root + "/work")
            let task = Task { await runner.run([]) }
            var pids: [pid_t] = []
            try await poll("the shell and its child to start") {
                pids = ["shell", "child"].compactMap { try? String(contentsOfFile: "\(root)/\($0)", encoding: .utf8) }
                    .compactMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
                return pids.count == 2
            }
            task.cancel()
            #expect(await task.value == .failure(TaskFailure(.timedOut, "killed: the task's deadline passed or it was cancelled")))
            try await poll("the shell (\(pids[0])) and its child (\(pids[1])) to be gone") { pids.allSatisfy(isGone) }
            #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/work").isEmpty)
        }
    }

    @Test func aProgramThatIgnoresSIGTERMIsKilledAfterTheGrace() async throws {
        try await withRunner([]) { _, root in
            let runner = CommandRunner(
                command: ["sh", "-c", "trap '' TERM; echo $$ > \(root)/shell.tmp && mv \(root)/shell.tmp \(root)/shell; while :; do sleep 1; done"],
                workBase: root + "/work", killGrace: .milliseconds(100))
            let task = Task { await runner.run([]) }
            try await poll("the shell to start") { FileManager.default.fileExists(atPath: "\(root)/shell") }
            task.cancel()
            #expect(await task.value.isSuccess == false)
            let shell = pid_t((try String(contentsOfFile: "\(root)/shell", encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            #expect(isGone(shell))
        }
    }

    @Test func whatTheProgramLeavesRunningIsKilledWhenItExits() async throws {
        try await withRunner([]) { _, root in
            let runner = CommandRunner(
                command: ["sh", "-c", "sleep 300 & echo $! > \(root)/child; echo started"], workBase: root + "/work")
            #expect(await runner.run([]) == .success(output: Array("started\n".utf8)))
            let child = pid_t((try String(contentsOfFile: "\(root)/child", encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            try await poll("the background child \(child) to be gone") { isGone(child) }
        }
    }

    @Test func anAlreadyCancelledTaskStartsNothing() async throws {
        try await withRunner([]) { _, root in
            let runner = CommandRunner(command: ["sh", "-c", "touch \(root)/ran"], workBase: root + "/work")
            let task = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return await runner.run([])
            }
            #expect(await task.value.isSuccess == false)
            #expect(!FileManager.default.fileExists(atPath: "\(root)/ran"))
        }
    }

    @Test func aCommandSkillRunsUnderTheExecutor() async throws {
        try await withRunner(["tr", "a-z", "A-Z"]) { runner, _ in
            let upper = try SkillID("upper")
            let executor = LocalExecutor(skills: [upper: CommandSkill(name: upper, runner: runner)], capacity: 2, maxQueued: 4)
            func job(_ text: String, _ n: UInt8) -> SkillJob {
                SkillJob(
                    taskID: TaskID(unchecked: [UInt8](repeating: n, count: 16)), skill: upper, input: Array(text.utf8), priority: 96,
                    requester: NodeID(unchecked: [UInt8](repeating: 9, count: 32)), deadlineMs: .max)
            }
            async let first = executor.execute(job("one", 1))
            async let second = executor.execute(job("two", 2))
            #expect(await [first, second] == [.success(output: Array("ONE".utf8)), .success(output: Array("TWO".utf8))])
        }
    }
}

/// Whether `pid` no longer runs: no such process, or a zombie nobody has reaped yet (a container's
/// PID 1 may not reap the orphans it inherits).
func isGone(_ pid: pid_t) -> Bool {
    if kill(pid, 0) != 0 { return errno == ESRCH }
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
    guard let end = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(after: end)...].drop(while: { $0 == " " }).first
    return state == "Z" || state == "X"
}
