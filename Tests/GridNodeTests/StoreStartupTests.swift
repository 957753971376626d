import Foundation
import GridCore
import GridCrypto
import GridStore
import GridTestKit
import Logging
import Testing

@testable import GridNode

/// `gridnode init` makes the store; a node refuses a missing, emptied or damaged one unless told
/// `--new-store`, and then keeps what was there.
@Suite struct StoreStartupTests {
    /// A data directory made by `gridnode init`, its node ID, and a log to read.
    struct Fixture {
        let root: TemporaryDirectory
        let directory: DataDirectory
        let nodeID: NodeID
        let logs = LogCapture()

        init() throws {
            root = try TemporaryDirectory()
            directory = DataDirectory(path: root.path + "/node")
            nodeID = try NodeSetup.initialize(directory, force: false)
        }

        var path: String { directory.databasePath }

        func open(newStore: Bool = false, at now: Date = Date(timeIntervalSince1970: 1_735_787_045)) throws(GridError) -> GridDatabase {
            try StoreStartup.open(directory, nodeID: nodeID, newStore: newStore, now: now, logger: logs.logger(label: "test"))
        }

        /// Records `count` tasks, closing the store afterwards.
        func recordTasks(_ count: Int) throws {
            let database = try GridDatabase(path: path)
            for seed in 1...count { try database.recordSubmitted(spec(UInt8(seed)), atMs: Int64(seed)) }
        }

        func files() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix("grid.sqlite") }.sorted()
        }

        func bytes(_ name: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: directory.path + "/" + name)) }

        func damagePage2() throws {
            let file = try #require(FileHandle(forUpdatingAtPath: path))
            try file.seek(toOffset: 4096)
            try file.write(contentsOf: Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) }))
            try file.close()
        }
    }

    static func spec(_ seed: UInt8) throws -> TaskSpec {
        TaskSpec(id: try TaskID(bytes: [UInt8](repeating: seed, count: 16)), skill: try SkillID("echo"), input: [seed], timeout: .seconds(5))
    }

    static let stamp = "20250102T030405Z"  // 1_735_787_045

    @Test func timestampsAreUTCToTheSecond() {
        #expect(StoreStartup.timestamp(Date(timeIntervalSince1970: 1_735_787_045.9)) == Self.stamp)
    }

    @Test func initCreatesTheStore() throws {
        let fixture = try Fixture()
        defer { fixture.root.remove() }
        #expect(try fixture.files() == ["grid.sqlite"])  // closed: its log checkpointed into it
        #expect((StoreStartup.fileSize(fixture.path) ?? 0) > 0)
        #expect(try GridDatabase(path: fixture.path).quickCheck() == ["ok"])
    }

    @Test func initForceKeepsTheStore() throws {
        let fixture = try Fixture()
        defer { fixture.root.remove() }
        try fixture.recordTasks(1)
        let second = try NodeSetup.initialize(fixture.directory, force: true)
        #expect(second != fixture.nodeID)
        #expect(try GridDatabase(path: fixture.path).task(Self.spec(1).id) != nil)
    }

    @Test func initRefusesWhileTheNodeRuns() throws {
        let fixture = try Fixture()
        defer { fixture.root.remove() }
        let lock = try fixture.directory.lockForNode()  // what a running node holds
        for force in [false, true] {
            let error = #expect(throws: GridError.self) { try NodeSetup.initialize(fixture.directory, force: force) }
            #expect(error?.code == .dataDirectoryBusy)
            #expect(
                error?.message == "a gridnode is running with \(fixture.directory.path); stop it first — its identity cannot be replaced while it runs")
        }
        #expect(try KeyFile.read(from: fixture.directory.identityPath).nodeID == fixture.nodeID)
        lock.release()
        #expect(try NodeSetup.initialize(fixture.directory, force: true) != fixture.nodeID)
    }

    @Test func aMissingStoreIsRefused() throws {
        let fixture = try Fixture()
        defer { fixture.root.remove() }
        try FileManager.default.removeItem(atPath: fixture.path)
        let error = #expect(throws: GridError.self) { try fixture.open() }
        #expect(error?.code == .storeMissing)
        #expect(
            error?.message
                == "\(fixture.directory.path) holds node \(fixture.nodeID)'s identity but its task store \(fixture.path) is missing: the tasks this node accepted earlier are gone. Restore grid.sqlite from a backup, or start with --new-store to begin an empty store for this identity."
        )
        #expect(try fixture.files() == [])
    }

    @Test func anEmptiedStoreIsRefused() throws {
        let fixture = try Fixture()
        defer { fixture.root.remove() }
        try Data().write(to: URL(fileURLWithPath: fixture.path))
        let error = #expect(throws: GridError.self) { try fixture.open() }
        #expect(error?.code == .storeMissing)
        #expect(error?.message.contains("\(fixture.path) is empty (0 bytes): the tasks this node accepted earlier are gone") == true)
        #expect(try fixture.files() == ["grid.sqlite"])
    }

    @Test func newStoreBeginsAnEmptyStoreWhenOneIsMissing() throws {
        let fixture = try Fixture()
        defer { fixture.root.remove() }
        try FileManager.default.removeItem(atPath: fixture.path)
        // A log left without its database would be replayed into the new one: it is moved aside too.
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: fixture.path + "-wal"))
        _ = try fixture.open(newStore: true)
        #expect(try fixture.files().contains("grid.sqlite-wal.orphaned-\(Self.stamp)"))
        #expect(try fixture.bytes("grid.sqlite-wal.orphaned-\(Self.stamp)") == Data([1, 2, 3]))
        #expect(fixture.logs.text.contains("--new-store: task store \(fixture.path) is missing; beginning an empty store"))
        #expect(try fixture.open().quickCheck() == ["ok"])  // and it is a store now, opened without the flag
    }

    @Test func newStoreMovesAnEmptyFileAside() throws {
        let fixture = try Fixture()
        defer { fixture.root.remove() }
        try Data().write(to: URL(fileURLWithPath: fixture.path))
        let database = try fixture.open(newStore: true)
        #expect(try database.quickCheck() == ["ok"])
        #expect(try fixture.files().contains("grid.sqlite.empty-\(Self.stamp)"))
        #expect(try fixture.bytes("grid.sqlite.empty-\(Self.stamp)").isEmpty)
    }

    @Test func aDamagedStoreIsRefusedAndLeftAsItWas() throws {
        let fixture = try Fixture()
        defer { fixture.root.remove() }
        try fixture.recordTasks(30)
        try fixture.damagePage2()
        let before = try fixture.bytes("grid.sqlite")
        let error = #expect(throws: GridError.self) { try fixture.open() }
        #expect(error?.code == .storeDamaged)
        let message = error?.message ?? ""
        #expect(message.hasPrefix("\(fixture.path) is damaged ("), "\(message)")
        #expect(
            message.hasSuffix(
                "; the node will not start on it. Move it aside with its -wal and -shm files (e.g. mv \(fixture.path) \(fixture.path).damaged) and restore a backup, or start with --new-store to begin an empty store for this identity (the damaged file is kept as grid.sqlite.damaged-<timestamp>)."
            ), "\(message)")
        #expect(try fixture.bytes("grid.sqlite") == before)
    }

    @Test func newStoreKeepsADamagedStoreAsideAndBeginsAnew() throws {
        let fixture = try Fixture()
        defer { fixture.root.remove() }
        try fixture.recordTasks(30)
        try fixture.damagePage2()
        let before = try fixture.bytes("grid.sqlite")
        // A name already taken is never overwritten.
        try Data("earlier".utf8).write(to: URL(fileURLWithPath: fixture.path + ".damaged-\(Self.stamp)"))
        let database = try fixture.open(newStore: true)
        #expect(try database.task(Self.spec(1).id) == nil)
        #expect(try database.quickCheck() == ["ok"])
        #expect(try fixture.bytes("grid.sqlite.damaged-\(Self.stamp)") == Data("earlier".utf8))
        #expect(try fixture.bytes("grid.sqlite.damaged-\(Self.stamp)-1") == before)
        #expect(fixture.logs.text.contains("kept \(fixture.path).damaged-\(Self.stamp)-1, "))
        #expect(!fixture.logs.text.contains("is sound"))
    }

    @Test func newStoreKeepsASoundStore() throws {
        let fixture = try Fixture()
        defer { fixture.root.remove() }
        try fixture.recordTasks(3)
        #expect(try fixture.open(newStore: true).task(Self.spec(2).id) != nil)
        #expect(fixture.logs.text.contains("--new-store: the task store \(fixture.path) is sound; it is kept as it is"))
        #expect(try fixture.files().allSatisfy { !$0.contains("-2025") })
    }

    @Test func withoutAnIdentityFileAMissingStoreIsCreated() throws {
        // A node embedded with its identity in code (as the test clusters are) has no identity.key.
        let root = try TemporaryDirectory()
        defer { root.remove() }
        let directory = DataDirectory(path: root.path)
        _ = try StoreStartup.open(directory, nodeID: SigningIdentity().nodeID, newStore: false, logger: Logger(label: "test"))
        #expect(FileManager.default.fileExists(atPath: directory.databasePath))
    }

    /// The node itself: `run()` ends with the error, before it listens.
    @Test func aNodeWithoutItsStoreDoesNotStart() async throws {
        let fixture = try Fixture()
        defer { fixture.root.remove() }
        try FileManager.default.removeItem(atPath: fixture.path)
        var settings = NodeSettings()
        settings.listen = HostPort(host: "127.0.0.1", port: 0)
        let node = GridNode(
            dataDirectory: fixture.directory, settings: settings, identity: try KeyFile.read(from: fixture.directory.identityPath),
            bootstrap: [], logger: fixture.logs.logger(label: "node"))
        let error = await #expect(throws: GridError.self) { try await node.run() }
        #expect(error?.code == .storeMissing)
        await #expect(throws: GridError.self) { try await node.listeningAddress() }
        #expect(try fixture.files() == [])
    }
}
