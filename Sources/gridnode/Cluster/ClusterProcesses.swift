#if canImport(Glibc)
import Glibc
#endif
import Foundation
import GridCore
import GridNode

/// The `gridnode run` processes of a cluster: started in process groups of their own (so a
/// Ctrl-C at the terminal that ran `cluster up` does not reach them), logging to their node.log,
/// and found again by pid, checked against their command line so a reused pid is never signalled.
enum ClusterProcesses {
    /// This very executable, which every node runs.
    static var executable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    static func start(_ node: ClusterFile.Node, of file: ClusterFile, in cluster: ClusterDirectory) throws(GridError) -> Int32 {
        let data = cluster.dataDirectory(node.name)
        var argv = [
            executable, "run", "--data-dir", data.path, "--listen", "\(file.address(of: node.name)):\(node.port)", "--bootstrap",
            cluster.bootstrapPath, "--network", file.network, "--skills", node.skills.joined(separator: ","),
        ]
        if node.allowFaults { argv.append("--allow-faults") }
        if let netns = file.netns { argv = netns.wrap(argv, for: node.name) }
        let log = open(cluster.logPath(node.name), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer {
            if log >= 0 { close(log) }
            if null >= 0 { close(null) }
        }
        guard log >= 0, null >= 0 else {
            throw GridError(.clusterStart, "cannot open \(cluster.logPath(node.name)): \(String(cString: strerror(errno)))")
        }
        switch CommandSpawn.spawn(
            path: argv[0], argv: argv, environment: ProcessInfo.processInfo.environment, directory: cluster.path, stdio: (null, log, log))
        {
        case .success(let pid): return pid
        case .failure(let error): throw GridError(.clusterStart, "cannot start \(node.name) (\(argv[0])): \(error.message)")
        }
    }

    /// Whether `pid` is a live (not zombie) `gridnode run` of the data directory `data`. Reaps it
    /// when it is this process's own child that has exited.
    static func isRunning(_ pid: Int32?, data: DataDirectory) -> Bool {
        guard let pid, pid > 0 else { return false }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        guard state != "Z", state != "X" else { return false }
        guard let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        let arguments = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        return arguments.contains("run") && arguments.contains(data.path)
    }

    /// Sends `signal` to a running node; false when it was not running.
    @discardableResult
    static func signal(_ pid: Int32?, _ signal: Int32, data: DataDirectory) -> Bool {
        guard let pid, isRunning(pid, data: data) else { return false }
        return kill(pid, signal) == 0
    }

    /// Waits until the node's process has ended, up to `timeout`; true when it has.
    static func waitForExit(_ pid: Int32?, data: DataDirectory, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while isRunning(pid, data: data) {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return true
    }

    /// Refuses a port another program listens on, before any node is started on it.
    static func checkFree(port: Int, for node: String) throws(GridError) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if bound != 0 && errno == EADDRINUSE {
            throw GridError(
                .clusterPortInUse,
                "port \(port) (for \(node)) is in use on 127.0.0.1; choose another range with --base-port, e.g. --base-port \(port + 100)")
        }
    }

    /// The last `count` lines of a node's log, for error messages.
    static func tail(_ path: String, lines count: Int) -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return "(no log at \(path))" }
        return lastLines(of: text, count)
    }

    /// The last `count` lines of `text` (a final newline kept as it is).
    static func lastLines(of text: String, _ count: Int) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).suffix(count + 1).joined(separator: "\n")
    }
}
