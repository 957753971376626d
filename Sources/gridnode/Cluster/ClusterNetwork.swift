import Foundation
import GridCore

/// `cluster up --netns`: each node a host of its own, in a network namespace joined to the
/// cluster's bridge by a veth pair, with an address of its own (`10.X.Y.N/24`). Partitions then
/// act on real links (blackhole routes in the namespaces); the other faults stay in the node.
/// Needs root and `ip netns`; ``unavailable()`` says why not, and the cluster then runs on loopback.
struct ClusterNetwork: Codable, Equatable {
    /// The bridge on the host: `gb` and six hex digits of the cluster's own.
    var bridge: String
    /// The /24 the nodes' addresses are in, as `10.X.Y`.
    var prefix: String
    /// The network namespace of each node, by node name.
    var namespaces: [String: String]
    /// Each node's address, by node name.
    var addresses: [String: String]
    /// The host side of each node's veth pair, by node name.
    var links: [String: String]

    /// A layout for `names` from the cluster's random `id` (at least 3 bytes): names and subnet
    /// differ between clusters, so two run side by side.
    init(id: [UInt8], names: [String]) {
        let tag = Hex.encode(Array(id.prefix(3)))
        bridge = "gb" + tag
        prefix = "10.\(100 + Int(id[0]) % 100).\(id[1])"
        var namespaces: [String: String] = [:], addresses: [String: String] = [:], links: [String: String] = [:]
        for (index, name) in names.enumerated() {
            namespaces[name] = "grid-\(tag)-\(name)"
            addresses[name] = "\(prefix).\(index + 1)"
            links[name] = "g\(tag)v\(index + 1)"
        }
        self.namespaces = namespaces
        self.addresses = addresses
        self.links = links
    }

    /// Nil when namespaces can be made here; else why not, for the fallback message.
    static func unavailable() -> String? {
        guard getuid() == 0 else { return "it needs root" }
        let probe = "grid-probe-\(getpid())"
        if let failure = Self.ip(["netns", "add", probe]) { return "ip netns does not work here (\(failure))" }
        _ = Self.ip(["netns", "del", probe])
        return nil
    }

    /// Creates what is missing: the bridge, and each node's namespace, link and address.
    func create() throws(GridError) {
        try must(["link", "add", bridge, "type", "bridge"], unlessExisting: true)
        try must(["link", "set", bridge, "up"])
        let existing = Set((Self.output(["netns", "list"]) ?? "").split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) })
        for (name, namespace) in namespaces.sorted(by: { $0.key < $1.key }) {
            let link = links[name] ?? "", address = addresses[name] ?? ""
            if existing.contains(namespace) {
                // Whole when its link is on the bridge; else left over from an interrupted start: made again.
                if Self.output(["link", "show", link])?.contains("master \(bridge)") == true { continue }
                _ = Self.ip(["netns", "del", namespace])
            }
            try must(["netns", "add", namespace])
            _ = Self.ip(["link", "del", link])  // a pair of a namespace deleted a moment ago may linger
            try must(["link", "add", link, "type", "veth", "peer", "name", "eth0", "netns", namespace])
            try must(["link", "set", link, "master", bridge, "up"])
            try must(["-n", namespace, "addr", "add", "\(address)/24", "dev", "eth0"])
            try must(["-n", namespace, "link", "set", "eth0", "up"])
            try must(["-n", namespace, "link", "set", "lo", "up"])
        }
    }

    /// Removes the namespaces (their veth pairs go with them) and the bridge; what is gone already is skipped.
    func destroy() {
        for link in links.values.sorted() { _ = Self.ip(["link", "del", link]) }
        for namespace in namespaces.values.sorted() { _ = Self.ip(["netns", "del", namespace]) }
        _ = Self.ip(["link", "del", bridge])
    }

    /// Drops every packet from `node` to `peer`'s address: a real link cut, one way.
    func cut(_ node: String, from peer: String) throws(GridError) {
        guard let namespace = namespaces[node], let address = addresses[peer] else { return }
        try must(["-n", namespace, "route", "replace", "blackhole", "\(address)/32"])
    }

    /// How many peers `node` is cut off from now.
    func cuts(_ node: String) -> Int {
        guard let namespace = namespaces[node] else { return 0 }
        return (Self.output(["-n", namespace, "route", "show", "type", "blackhole"]) ?? "").split(separator: "\n").count
    }

    /// Removes every cut of `node`'s.
    func mend(_ node: String) {
        guard let namespace = namespaces[node] else { return }
        for address in addresses.values { _ = Self.ip(["-n", namespace, "route", "del", "blackhole", "\(address)/32"]) }
    }

    /// The command that runs `argv` inside `node`'s namespace.
    func wrap(_ argv: [String], for node: String) -> [String] {
        guard let namespace = namespaces[node] else { return argv }
        return [Self.ipPath, "netns", "exec", namespace] + argv
    }

    private func must(_ arguments: [String], unlessExisting: Bool = false) throws(GridError) {
        guard let failure = Self.ip(arguments) else { return }
        if unlessExisting && failure.contains("File exists") { return }
        throw GridError(.clusterStart, "ip \(arguments.joined(separator: " ")) failed: \(failure)")
    }

    static let ipPath = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "ip"

    /// Runs `ip ARGUMENTS`; nil when it succeeded, else its error output.
    static func ip(_ arguments: [String]) -> String? {
        let (status, _, error) = run(arguments)
        return status == 0 ? nil : (error.isEmpty ? "exit status \(status)" : error)
    }

    static func output(_ arguments: [String]) -> String? {
        let (status, output, _) = run(arguments)
        return status == 0 ? output : nil
    }

    private static func run(_ arguments: [String]) -> (Int32, String, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ipPath)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        do { try process.run() } catch { return (127, "", "cannot run \(ipPath): \(error.localizedDescription)") }
        let output = out.fileHandleForReading.readDataToEndOfFile(), error = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let trimmed = { (data: Data) in String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
        return (process.terminationStatus, trimmed(output), trimmed(error))
    }
}
