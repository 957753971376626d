#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import GridCore
import NIOConcurrencyHelpers

/// Starting a command's process: finding the program, the pipes, posix_spawn. ``spawn(path:argv:environment:directory:stdio:)``
/// is also how `gridnode cluster` starts its nodes.
public enum CommandSpawn {
    /// The absolute path of `program`: as given when it contains a `/` (relative to this process's
    /// directory, not the work directory), else the first executable match in `searchPath`.
    static func resolve(_ program: String, searchPath: String) -> Result<String, TaskFailure> {
        if program.contains("/") {
            let path = program.hasPrefix("/") ? program : FileManager.default.currentDirectoryPath + "/" + program
            if !isRegularFile(path) {
                return .failure(TaskFailure(.internal, "program '\(program)' does not exist (\(path)); give the full path of an executable file"))
            }
            if access(path, X_OK) != 0 {
                return .failure(
                    TaskFailure(.internal, "program '\(path)' is not executable; chmod +x it, or run it through its interpreter (e.g. sh \(path))"))
            }
            return .success(path)
        }
        var notExecutable: String?
        for directory in searchPath.split(separator: ":") where !directory.isEmpty {
            let path = "\(directory)/\(program)"
            guard isRegularFile(path) else { continue }
            if access(path, X_OK) == 0 { return .success(path) }
            notExecutable = notExecutable ?? path
        }
        if let notExecutable {
            return .failure(
                TaskFailure(
                    .internal, "program '\(notExecutable)' is not executable; chmod +x it, or run it through its interpreter (e.g. sh \(notExecutable))"))
        }
        return .failure(
            TaskFailure(.internal, "program '\(program)' was not found in PATH (\(searchPath)); install it there, or give its full path"))
    }

    private static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// A pipe whose ends are closed on exec (so no other child inherits them), the parent's end
    /// non-blocking.
    static func pipe(parentEnd: PipeEnd) throws(TaskFailure) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        let made: Int32
        if let pipe2 = LibcExtras.pipe2 {
            made = pipe2(&fds, O_CLOEXEC)
        } else {
            made = systemPipe(&fds)
            if made == 0 { for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) } }
        }
        guard made == 0 else {
            throw TaskFailure(.internal, "cannot create a pipe for the command: \(String(cString: strerror(errno))); the node may be out of file descriptors (ulimit -n)")
        }
        let parent = parentEnd == .read ? fds[0] : fds[1]
        _ = fcntl(parent, F_SETFL, fcntl(parent, F_GETFL) | O_NONBLOCK)
        return (fds[0], fds[1])
    }

    enum PipeEnd { case read, write }

    public struct SpawnError: Error {
        public var code: Int32
        public var message: String { String(cString: strerror(code)) }
    }

    /// The three pipes of a child, all or none.
    static func stdioPipes() throws(TaskFailure) -> (stdin: (read: Int32, write: Int32), stdout: (read: Int32, write: Int32), stderr: (read: Int32, write: Int32)) {
        let stdin = try pipe(parentEnd: .write)
        let stdout: (read: Int32, write: Int32)
        do {
            stdout = try pipe(parentEnd: .read)
        } catch {
            for fd in [stdin.read, stdin.write] { _ = systemClose(fd) }
            throw error
        }
        do {
            return (stdin, stdout, try pipe(parentEnd: .read))
        } catch {
            for fd in [stdin.read, stdin.write, stdout.read, stdout.write] { _ = systemClose(fd) }
            throw error
        }
    }

    /// Spawns `path` in a new process group whose ID is its pid, in `directory`, with `stdio` as its
    /// fds 0, 1 and 2, every signal at its default and none blocked. Returns the pid, or errno.
    public static func spawn(
        path: String, argv: [String], environment: [String: String], directory: String, stdio: (Int32, Int32, Int32)
    ) -> Result<pid_t, SpawnError> {
        guard let addChdir = LibcExtras.addChdir else { return .failure(SpawnError(code: ENOSYS)) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdio.0, 0)
        posix_spawn_file_actions_adddup2(&actions, stdio.1, 1)
        posix_spawn_file_actions_adddup2(&actions, stdio.2, 2)
        guard addChdir(&actions, directory) == 0 else { return .failure(SpawnError(code: errno)) }
        // Any descriptor of this process opened without close-on-exec stays out of the child.
        if let closeFrom = LibcExtras.addCloseFrom { _ = closeFrom(&actions, 3) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own group, so one signal reaches everything it starts; signals at their defaults and
        // unblocked, whatever this process ignores (SIGPIPE) or the spawning thread blocks.
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)

        let cArgv = argv.map { strdup($0) } + [nil]
        let cEnv = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in cArgv { free(pointer) }
            for pointer in cEnv { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, cArgv, cEnv)
        return result == 0 ? .success(pid) : .failure(SpawnError(code: result))
    }
}

/// libc functions the Swift Glibc module does not import (they need _GNU_SOURCE), looked up once.
enum LibcExtras {
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32

    static var addChdir: AddChdir? { symbols.addChdir }
    static var addCloseFrom: AddCloseFrom? { symbols.addCloseFrom }
    static var pipe2: Pipe2? { symbols.pipe2 }

    private struct Symbols: @unchecked Sendable {  // C function pointers: immutable, callable from any thread
        var addChdir: AddChdir?
        var addCloseFrom: AddCloseFrom?
        var pipe2: Pipe2?
    }

    private static let symbols: Symbols = {
        guard let handle = dlopen(nil, RTLD_NOW) else { return Symbols() }
        func symbol<F>(_ name: String, as type: F.Type) -> F? {
            dlsym(handle, name).map { unsafeBitCast($0, to: F.self) }
        }
        return Symbols(
            addChdir: symbol("posix_spawn_file_actions_addchdir_np", as: AddChdir.self),
            addCloseFrom: symbol("posix_spawn_file_actions_addclosefrom_np", as: AddCloseFrom.self),
            pipe2: symbol("pipe2", as: Pipe2.self))
    }()
}

/// Wakes a command's I/O thread: the task was cancelled, or the process exited. The write end is
/// only used under the lock and closed under it, so a late wake never writes to a reused fd.
final class ControlPipe: Sendable {
    let readFD: Int32
    private let state: NIOLockedValueBox<(writeFD: Int32, cancelled: Bool, exited: Bool)>

    init() throws(TaskFailure) {
        let fds = try CommandSpawn.pipe(parentEnd: .read)
        _ = fcntl(fds.write, F_SETFL, fcntl(fds.write, F_GETFL) | O_NONBLOCK)
        readFD = fds.read
        state = NIOLockedValueBox((fds.write, false, false))
    }

    var flags: (cancelled: Bool, exited: Bool) { state.withLockedValue { ($0.cancelled, $0.exited) } }

    func cancel() { update { $0.cancelled = true } }
    func markExited() { update { $0.exited = true } }

    private func update(_ change: (inout (writeFD: Int32, cancelled: Bool, exited: Bool)) -> Void) {
        state.withLockedValue { state in
            change(&state)
            guard state.writeFD >= 0 else { return }
            var byte: UInt8 = 1
            _ = write(state.writeFD, &byte, 1)  // a full pipe (EAGAIN) is already a pending wake
        }
    }

    /// Reads every pending wake byte.
    func drain() {
        var bytes = [UInt8](repeating: 0, count: 64)
        while read(readFD, &bytes, bytes.count) > 0 {}
    }

    func close() {
        state.withLockedValue { state in
            if state.writeFD >= 0 { _ = systemClose(state.writeFD) }
            state.writeFD = -1
        }
        _ = systemClose(readFD)
    }
}

// The libc calls, by names the methods above (`pipe`, `close`) do not shadow.
func systemClose(_ fd: Int32) -> Int32 { close(fd) }
private func systemPipe(_ fds: UnsafeMutablePointer<Int32>) -> Int32 { pipe(fds) }
