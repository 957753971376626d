import Foundation
import GridCore
import GridNode
import GridTestKit
import Testing

@Suite struct NodeSettingsTests {
    func load(_ json: String) throws -> NodeSettings {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/config.json"
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return try NodeSettings.load(from: path)
    }

    @Test func defaultsAreValidAndRoundTrip() throws {
        try NodeSettings.default.validate()
        #expect(try load(NodeSettings.default.json()) == .default)
        #expect(try load("{}") == .default)
    }

    @Test func missingFileMeansDefaults() throws {
        #expect(try NodeSettings.load(from: "/nonexistent/config.json") == .default)
    }

    @Test func aPartialFileKeepsTheOtherDefaults() throws {
        let settings = try load(#"{"listen": "[::1]:9000", "skills": ["sleep"], "maxConcurrentTasks": 2}"#)
        #expect(settings.listen == HostPort(host: "::1", port: 9000))
        #expect(settings.skills == ["sleep"])
        #expect(settings.maxConcurrentTasks == 2)
        #expect(settings.maxQueuedTasks == NodeSettings.default.maxQueuedTasks)
    }

    @Test func evidenceSettingsHaveTheirDefaultsAndLoad() throws {
        #expect(NodeSettings.default.evidencePerPeerPerMinute == 10 && NodeSettings.default.evidenceMemory == 64)
        let settings = try load(#"{"evidencePerPeerPerMinute": 30, "evidenceMemory": 500}"#)
        #expect(settings.evidencePerPeerPerMinute == 30 && settings.evidenceMemory == 500)
        #expect(try load(settings.json()) == settings)
    }

    @Test func unknownKeyIsNamed() throws {
        let error = #expect(throws: GridError.self) { try load(#"{"lisen": "127.0.0.1:1"}"#) }
        #expect(error?.message.contains("unknown setting 'lisen'") == true)
    }

    @Test(arguments: [
        (#"{"maxConcurrentTasks": 0}"#, "maxConcurrentTasks"),
        (#"{"maxConcurrentTasks": "four"}"#, "maxConcurrentTasks"),
        (#"{"skills": ["teleport"]}"#, "teleport"),
        (#"{"skills": ["Bad Name"]}"#, "Bad Name"),
        (#"{"logLevel": "loud"}"#, "logLevel"),
        (#"{"listen": "nohost"}"#, "host:port"),
        (#"{"maxTaskBytes": 99999999}"#, "maxTaskBytes"),
        (#"{"maxFrameBytes": 67108864, "maxTaskBytes": 33554432}"#, "local API line"),
        (#"{"defaultTaskTimeoutMs": 700000}"#, "defaultTaskTimeoutMs"),
        (#"{"dialBackoffMaxMs": 1}"#, "dialBackoffMaxMs"),
        (#"{"networkID": "Main Grid"}"#, "networkID"),
        (#"{"maxMessagesPerSecond": 0}"#, "maxMessagesPerSecond"),
        (#"{"replayWindowMs": 10}"#, "replayWindowMs"),
        (#"{"maxPendingHandshakes": 0}"#, "maxPendingHandshakes"),
        (#"{"evidencePerPeerPerMinute": 0}"#, "evidencePerPeerPerMinute is 0; use 1-10000"),
        (#"{"evidenceMemory": 0}"#, "evidenceMemory is 0; use 1-100000"),
        ("not json", "not valid JSON at line 1, column 1"),
        (#"{"maxQueuedTasks": 4.5}"#, "'maxQueuedTasks' is 4.5, where a whole number"),
        (#"{"maxQueuedTasks": 1e20}"#, "'maxQueuedTasks' is 1e20, where a whole number"),
        (#"{"maxQueuedTasks": "5"}"#, "'maxQueuedTasks' must be a whole number, not a string"),
        (#"{"skills": "echo"}"#, "'skills' must be a list, not a string"),
        (#"{"trustedPeers": [1]}"#, "'trustedPeers[0]' must be a string, not a number"),
        (#"{"routingWeightTrust": "x"}"#, "'routingWeightTrust' must be a number, not a string"),
        (#"[1]"#, "must be an object, not a list"),
        (#"{"maxQueuedTasks": null}"#, "setting 'maxQueuedTasks' is null; remove the key to use its default"),
        (#"{"maxQueuedTasks": 5, "maxQueuedTasks": 6}"#, "the key 'maxQueuedTasks' appears twice (at line 1, column 23)"),
        ("{\n  \"listen\": \"127.0.0.1:1\",\n}", "not valid JSON at line 3, column 1"),
    ])
    func badSettingsSayWhatToFix(_ json: String, _ mentioned: String) throws {
        let error = #expect(throws: GridError.self) { try load(json) }
        #expect(error?.message.contains(mentioned) == true, "\(error?.message ?? "")")
    }
}

@Suite struct HostPortTests {
    @Test(arguments: [
        ("127.0.0.1:7401", "127.0.0.1", 7401), ("localhost:1", "localhost", 1), ("[::1]:7401", "::1", 7401), ("0.0.0.0:0", "0.0.0.0", 0),
    ])
    func parses(_ text: String, _ host: String, _ port: Int) throws {
        let address = try HostPort(parsing: text)
        #expect(address == HostPort(host: host, port: port))
        #expect(address.description == text)
    }

    @Test(arguments: ["", "7401", "host", "host:", ":7401", "host:99999", "host:-1", "::1:7401", "[::1]7401", "a b:1"])
    func refuses(_ text: String) {
        #expect(throws: GridError.self) { try HostPort(parsing: text) }
    }
}

@Suite struct BootstrapPeersTests {
    static let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("bootstrap-peers.json").path

    @Test func theShippedFileListsTheThreeLocalNodes() throws {
        let peers = try BootstrapPeers.load(from: Self.shipped)
        #expect(peers.map(\.address.description) == ["127.0.0.1:7401", "127.0.0.1:7402", "127.0.0.1:7403"])
        #expect(peers.map(\.name) == ["node1", "node2", "node3"])
    }

    @Test func pinnedKeysAndNamesAreRead() throws {
        let key = String(repeating: "ab", count: 32)
        let peers = try BootstrapPeers.parse(Data(#"{"peers":[{"address":"grid.example","port":7401,"publicKey":"\#(key)","name":"hub"}]}"#.utf8), source: "test")
        #expect(peers == [BootstrapPeer(name: "hub", address: HostPort(host: "grid.example", port: 7401), publicKey: try NodeID(hex: key))])
    }

    @Test func aDirectoryWhereTheSettingsFileShouldBeIsNamedSo() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try FileManager.default.createDirectory(atPath: directory.path + "/config.json", withIntermediateDirectories: false)
        let error = #expect(throws: GridError.self) { try NodeSettings.load(from: directory.path + "/config.json") }
        #expect(error?.message.hasSuffix("config.json: it is a directory; give the path of a JSON file") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("NSCocoaErrorDomain") == false)
    }

    @Test(arguments: [
        (#"[]"#, "expected"),
        (#"{"peers":[{"address":"h","port":1,"port":2}]}"#, "the key 'peers[0].port' appears twice"),
        (#"{"peers":[{"address":"h","port":1.5}]}"#, "'peers[0].port' is 1.5"),
        (#"{"peers":[{"address":"h","port":1,"publicKey":null}]}"#, "'peers[0].publicKey' is null"),
        (#"{"peers":[{"address":"127.0.0.1"}]}"#, "peer 1"),
        (#"{"peers":[{"address":"127.0.0.1","port":0}]}"#, "port 0"),
        (#"{"peers":[{"address":"127.0.0.1","port":70000}]}"#, "out of range"),
        (#"{"peers":[{"address":"h","port":1},{"address":"h","port":2,"publicKey":"abcd","name":"two"}]}"#, "peer 2 (two)"),
        (#"{"peers":[{"address":"h","port":1,"pubkey":"ab"}]}"#, #"peer 1 has the unknown key "pubkey"; the keys are address, port, publicKey, name"#),
    ])
    func badEntriesAreNamed(_ json: String, _ mentioned: String) {
        let error = #expect(throws: GridError.self) { try BootstrapPeers.parse(Data(json.utf8), source: "peers.json") }
        #expect(error?.message.contains(mentioned) == true, "\(error?.message ?? "")")
    }
}

@Suite struct DataDirectoryTests {
    @Test func resolvesFlagThenEnvironmentThenHome() {
        #expect(DataDirectory.resolve("/a", environment: ["GRIDNODE_HOME": "/b", "HOME": "/c"]).path == "/a")
        #expect(DataDirectory.resolve(nil, environment: ["GRIDNODE_HOME": "/b", "HOME": "/c"]).path == "/b")
        #expect(DataDirectory.resolve(nil, environment: ["HOME": "/c"]).path == "/c/.gridnode")
    }

    @Test func createsMode0700AndLocksExclusively() throws {
        let root = try TemporaryDirectory()
        defer { root.remove() }
        let directory = DataDirectory(path: root.path + "/x/y")
        try directory.create()
        let mode = try FileManager.default.attributesOfItem(atPath: directory.path)[.posixPermissions] as? Int
        #expect(mode == 0o700)
        let lock = try directory.lockForNode()
        // flock locks belong to the open file, so a second open in the same process conflicts too.
        let error = #expect(throws: GridError.self) { try directory.lockForNode() }
        #expect(error?.code == .dataDirectoryBusy)
        lock.release()
        try directory.lockForNode().release()
    }

    @Test func initRefusesToReplaceAnIdentityWithoutForce() throws {
        let root = try TemporaryDirectory()
        defer { root.remove() }
        let directory = DataDirectory(path: root.path + "/node")
        let first = try NodeSetup.initialize(directory, force: false)
        let error = #expect(throws: GridError.self) { try NodeSetup.initialize(directory, force: false) }
        #expect(error?.message.contains(first.hex) == true)
        let second = try NodeSetup.initialize(directory, force: true)
        #expect(second != first)
        #expect(try NodeSettings.load(from: directory.configPath) == .default)
    }
}

@Suite struct QueueMemoryTests {
    @Test func queueBoundsThatCouldTakeMoreThanHalfTheMemoryAreRefused() throws {
        var settings = NodeSettings()
        settings.queueBoundLow = 1_000_000
        let gib: UInt64 = 1 << 30
        let error = #expect(throws: GridError.self) { try settings.validate(physicalMemory: 16 * gib) }
        #expect(error?.message.contains("let 1005440 tasks wait at once") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("more than half of this machine's 16384 MiB") == true)
        try settings.validate(physicalMemory: 32 * gib)  // 9.4 GB of 32 GiB: allowed
        try NodeSettings().validate(physicalMemory: 1 * gib)  // the defaults fit a small machine
    }
}
