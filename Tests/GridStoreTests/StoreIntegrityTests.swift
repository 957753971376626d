import Foundation
import GridCore
import Testing

@testable import GridStore

@Suite struct StoreIntegrityTests {
    func spec(_ seed: UInt8) throws -> TaskSpec {
        TaskSpec(id: try TaskID(bytes: [UInt8](repeating: seed, count: 16)), skill: try SkillID("echo"), input: [seed], timeout: .seconds(5))
    }

    func temporaryDirectory() throws -> String {
        var template = Array("/tmp/gridcheck-XXXXXX".utf8CString)
        return String(cString: try #require(mkdtemp(&template)))
    }

    /// A closed database file with `tasks` tasks in it (closed: its log checkpointed into the file).
    func databaseWithRows(at path: String, tasks: Int = 40) throws {
        let database = try GridDatabase(path: path)
        for seed in 1...tasks { try database.recordSubmitted(spec(UInt8(seed)), atMs: Int64(seed)) }
        #expect(try database.quickCheck() == ["ok"])
    }

    func overwrite(_ path: String, at offset: UInt64, with bytes: [UInt8]) throws {
        let file = try #require(FileHandle(forUpdatingAtPath: path))
        try file.seek(toOffset: offset)
        try file.write(contentsOf: Data(bytes))
        try file.close()
    }

    @Test func aSoundStorePassesAndOpens() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/grid.sqlite"
        try databaseWithRows(at: path)
        try GridDatabase.checkIntegrity(path: path)
        #expect(try GridDatabase(path: path).task(spec(7).id) != nil)
    }

    @Test func aMissingOrEmptyFilePassesTheCheck() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try GridDatabase.checkIntegrity(path: directory + "/none.sqlite")
        FileManager.default.createFile(atPath: directory + "/empty.sqlite", contents: Data())
        try GridDatabase.checkIntegrity(path: directory + "/empty.sqlite")
    }

    struct Damage: CustomTestStringConvertible, Sendable {
        let name: String
        let offset: UInt64
        let length: Int
        let says: String
        var testDescription: String { name }
    }

    static let damages = [
        Damage(name: "garbage over the header", offset: 0, length: 100, says: "file is not a database"),
        Damage(name: "garbage over the schema page after the header", offset: 100, length: 3000, says: "malformed"),
        Damage(name: "garbage over page 2", offset: 4096, length: 4096, says: "malformed"),
    ]

    /// Refused with `store.damaged`, naming the file and the problem, and the file left as it was.
    @Test(arguments: damages) func aDamagedStoreIsRefusedAndLeftAsItWas(_ damage: Damage) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/grid.sqlite"
        try databaseWithRows(at: path)
        try overwrite(path, at: damage.offset, with: (0..<damage.length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let error = #expect(throws: GridError.self) { try GridDatabase(path: path) }
        #expect(error?.code == .storeDamaged)
        #expect(error?.message.hasPrefix("\(path) is damaged (") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains(damage.says) == true, "\(error?.message ?? "")")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    /// Damage at every page in turn: each is refused or passes (quick_check does not see
    /// everything), nothing else, and some is named by quick_check's own words.
    @Test func damageAnywhereIsRefusedOrPassesButNeverCrashes() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let original = directory + "/original.sqlite"
        try databaseWithRows(at: original, tasks: 200)
        let pages = try #require(GridDatabase.fileSize(original)) / 4096
        #expect(pages > 5)
        var named: [String] = []
        for page in 1..<pages {
            let path = directory + "/page\(page).sqlite"
            try FileManager.default.copyItem(atPath: original, toPath: path)
            try overwrite(path, at: page * 4096 + 100, with: [UInt8](repeating: 0xff, count: 200))
            do {
                try GridDatabase.checkIntegrity(path: path)
            } catch {
                #expect(error.code == .storeDamaged, "page \(page): \(error)")
                if error.message.contains("out of range") || error.message.contains("tree page") { named.append(error.message) }
            }
        }
        #expect(!named.isEmpty)
        // A message names at most three problems.
        for message in named { #expect(message.components(separatedBy: "; ").count <= 4, "\(message)") }
    }

    @Test func problemsAreNamedOneALineAndAtMostThree() {
        let error = GridDatabase.damaged("/d/grid.sqlite", ["a", "b", "c", "d"])
        #expect(error.code == .storeDamaged)
        #expect(error.message == "/d/grid.sqlite is damaged (a; b; c; …)")
    }
}
