#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import GridCore

/// One run of a ``CommandRunner``, carried out on a thread of its own: makes the work directory,
/// spawns the program, feeds stdin and reads stdout and stderr with poll(2) (so a program that
/// writes much before it reads cannot deadlock with us), kills its group when asked, reaps it and
/// removes the work directory.
struct CommandJob: Sendable {
    let runner: CommandRunner
    let input: [UInt8]
    let taskID: String?
    let skill: String?
    let control: ControlPipe

    private static let cancelledBeforeStart = TaskFailure(.timedOut, "killed: the task's deadline passed or it was cancelled")

    func run() -> Result<CommandRunner.Termination, TaskFailure> {
        Self.blockSIGPIPE()
        defer { control.close() }
        guard !control.flags.cancelled else { return .failure(Self.cancelledBeforeStart) }
        guard let program = runner.command.first, !program.isEmpty else {
            return .failure(TaskFailure(.internal, "\(prefix)the command is empty; configure the program and its arguments"))
        }
        let directory: String
        switch makeWorkDirectory() {
        case .failure(let failure): return .failure(failure)
        case .success(let made): directory = made
        }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let environment = runner.childEnvironment(workDirectory: directory, taskID: taskID, skill: skill)
        let path: String
        switch CommandSpawn.resolve(program, searchPath: environment["PATH"] ?? CommandRunner.defaultPath) {
        case .failure(let failure): return .failure(TaskFailure(failure.code, prefix + failure.message))
        case .success(let resolved): path = resolved
        }

        let stdin, stdout, stderr: (read: Int32, write: Int32)
        do {
            (stdin, stdout, stderr) = try CommandSpawn.stdioPipes()
        } catch {
            return .failure(TaskFailure(error.code, prefix + error.message))
        }
        let spawned = CommandSpawn.spawn(
            path: path, argv: [program] + runner.command.dropFirst(), environment: environment, directory: directory,
            stdio: (stdin.read, stdout.write, stderr.write))
        for fd in [stdin.read, stdout.write, stderr.write] { _ = systemClose(fd) }
        guard case .success(let pid) = spawned else {
            for fd in [stdin.write, stdout.read, stderr.read] { _ = systemClose(fd) }
            let reason = if case .failure(let error) = spawned { error.message } else { "" }
            return .failure(TaskFailure(.internal, "\(prefix)cannot start '\(path)': \(reason); check that it is a program this machine can run"))
        }

        let control = control
        let waiter = Thread {
            // WNOWAIT: the exited process stays a zombie until `reap`, so its pid (the group's ID)
            // cannot be reused while the loop still signals the group.
            var info = siginfo_t()
            while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0, errno == EINTR {}
            control.markExited()
        }
        waiter.name = "grid-command-wait"
        waiter.start()

        var pipes = CommandPipes(stdin: stdin.write, stdout: stdout.read, stderr: stderr.read)
        let ended = pump(&pipes, pid: pid)
        pipes.closeAll()
        return .success(
            CommandRunner.Termination(
                status: Self.reap(pid), output: ended.overLimit ? [] : pipes.output, stderrTail: Array(pipes.stderrTail.suffix(runner.stderrTailBytes)),
                outputOverLimit: ended.overLimit, cancelled: ended.cancelled))
    }

    private var prefix: String { skill.map { "command skill '\($0)': " } ?? "" }

    /// Moves bytes until the process has exited and its pipes are closed (or, when something it
    /// started outside its group holds them open, until `killGrace` after the exit).
    private func pump(_ pipes: inout CommandPipes, pid: pid_t) -> (cancelled: Bool, overLimit: Bool) {
        var cancelled = false
        var overLimit = false
        var killAt: ContinuousClock.Instant?  // SIGTERM sent; SIGKILL due then
        var exitedAt: ContinuousClock.Instant?
        if input.isEmpty { pipes.closeStdin() }
        while true {
            let flags = control.flags
            let now = ContinuousClock.now
            if flags.cancelled, !cancelled {
                cancelled = true
                killpg(pid, SIGTERM)
                killAt = now + runner.killGrace
                pipes.closeStdin()
            }
            if let due = killAt, now >= due {
                killpg(pid, SIGKILL)
                killAt = nil
            }
            if flags.exited, exitedAt == nil {
                exitedAt = now
                killpg(pid, SIGKILL)  // whatever it left running in its group
                killAt = nil
                pipes.closeStdin()
            }
            if let exitedAt, pipes.allClosed || now >= exitedAt + runner.killGrace { break }

            var fds = [pollfd(fd: control.readFD, events: Int16(POLLIN), revents: 0)]
            for fd in [pipes.stdout, pipes.stderr] where fd >= 0 { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
            if pipes.stdin >= 0 { fds.append(pollfd(fd: pipes.stdin, events: Int16(POLLOUT), revents: 0)) }
            let deadlines = [killAt, exitedAt.map { $0 + runner.killGrace }].compactMap { $0 }
            let timeout = deadlines.min().map { Self.milliseconds(until: $0, from: now) } ?? -1
            guard poll(&fds, nfds_t(fds.count), timeout) >= 0 else {
                if errno == EINTR { continue }
                // Cannot happen with valid fds; never leave the program running unwatched.
                killpg(pid, SIGKILL)
                return (cancelled, overLimit)
            }
            for entry in fds where entry.revents != 0 {
                switch entry.fd {
                case control.readFD:
                    control.drain()
                case pipes.stdout:
                    if pipes.readStdout(limit: runner.maxOutputBytes) == .overLimit {
                        overLimit = true
                        killpg(pid, SIGKILL)
                    }
                case pipes.stderr:
                    pipes.readStderr(keeping: runner.stderrTailBytes)
                case pipes.stdin:
                    pipes.writeStdin(input)
                default:
                    break
                }
            }
        }
        return (cancelled, overLimit)
    }

    private static func reap(_ pid: pid_t) -> CommandRunner.Termination.Status {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return .lost }  // reaped by someone else
        }
        let low = status & 0x7f
        return low == 0 ? .exited((status >> 8) & 0xff) : .signalled(low)
    }

    private func makeWorkDirectory() -> Result<String, TaskFailure> {
        var random = SystemRandomNumberGenerator()
        let name = (0..<8).map { _ in String(UInt8.random(in: 0...255, using: &random), radix: 16) }
            .map { $0.count == 1 ? "0" + $0 : $0 }.joined()
        let path = runner.workBase + "/" + name
        do {
            try FileManager.default.createDirectory(atPath: runner.workBase, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            guard mkdir(path, 0o700) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        } catch {
            return .failure(
                TaskFailure(.internal, "\(prefix)cannot create the work directory \(path): \(error); make \(runner.workBase) writable by the node"))
        }
        return .success(path)
    }

    private static func milliseconds(until deadline: ContinuousClock.Instant, from now: ContinuousClock.Instant) -> Int32 {
        let left = now.duration(to: deadline)
        guard left > .zero else { return 0 }
        let (seconds, attoseconds) = left.components
        return Int32(clamping: min(seconds, 86_400) * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
    }

    /// SIGPIPE from writing to a program that stopped reading becomes EPIPE on this thread, not the
    /// death of the node.
    private static func blockSIGPIPE() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }
}

/// The parent's ends of a command's three pipes and what came through them. -1: closed.
struct CommandPipes {
    var stdin: Int32
    var stdout: Int32
    var stderr: Int32
    var written = 0
    var output: [UInt8] = []
    var stderrTail: [UInt8] = []
    private var buffer = [UInt8](repeating: 0, count: 64 << 10)

    init(stdin: Int32, stdout: Int32, stderr: Int32) {
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
    }

    var allClosed: Bool { stdout < 0 && stderr < 0 }

    enum ReadResult { case ok, overLimit }

    mutating func readStdout(limit: Int) -> ReadResult {
        guard let count = readChunk(from: stdout) else { return .ok }
        guard count > 0 else {
            Self.close(&stdout)
            return .ok
        }
        let room = limit - output.count  // keep one byte past the limit to know it was passed
        output.append(contentsOf: buffer[0..<(count <= room ? count : room + 1)])
        guard output.count > limit else { return .ok }
        Self.close(&stdout)
        return .overLimit
    }

    mutating func readStderr(keeping tail: Int) {
        guard let count = readChunk(from: stderr) else { return }
        guard count > 0 else {
            Self.close(&stderr)
            return
        }
        stderrTail.append(contentsOf: buffer[0..<count])
        if stderrTail.count > 2 * tail + buffer.count { stderrTail.removeFirst(stderrTail.count - tail) }
    }

    /// The bytes read into `buffer`; 0 at end of file or on an error (the caller closes `fd`); nil
    /// when there are none now.
    private mutating func readChunk(from fd: Int32) -> Int? {
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0, errno == EAGAIN || errno == EINTR { return nil }
        return max(count, 0)
    }

    mutating func writeStdin(_ input: [UInt8]) {
        let descriptor = stdin
        let count = input.withUnsafeBytes { bytes in
            write(descriptor, bytes.baseAddress! + written, min(bytes.count - written, 64 << 10))
        }
        if count > 0 {
            written += count
            if written == input.count { closeStdin() }
        } else if count < 0, errno == EAGAIN || errno == EINTR {
            return
        } else {
            closeStdin()  // EPIPE: the program does not read (all of) its input; that is its business
        }
    }

    mutating func closeStdin() { Self.close(&stdin) }

    mutating func closeAll() {
        Self.close(&stdin)
        Self.close(&stdout)
        Self.close(&stderr)
    }

    private static func close(_ fd: inout Int32) {
        if fd >= 0 { _ = systemClose(fd) }
        fd = -1
    }
}
