import Foundation
import GridCore
import GridCrypto
import Testing

@Suite struct KeyFileTests {
    let directory: String

    init() throws {
        var template = Array("/tmp/gridkey-XXXXXX".utf8CString)
        directory = String(cString: try #require(mkdtemp(&template)))
    }

    func mode(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    @Test func writesMode0600AndReadsTheSameIdentity() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/identity.key"
        let identity = SigningIdentity()
        try KeyFile.write(identity, to: path, replace: false)
        #expect(try mode(path) == 0o600)
        #expect(try KeyFile.read(from: path).nodeID == identity.nodeID)
    }

    @Test func aDirectoryWhereTheKeyShouldBeIsNamedForWhatItIs() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/identity.key"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        do {
            _ = try KeyFile.read(from: path)
            Issue.record("a directory was read as a key")
        } catch {
            #expect(error.code == .identityCorrupt)
            #expect(error.message.hasPrefix("\(path) is not a file (a directory or another kind of entry is there)"))
            #expect(!error.message.contains("mode"))
        }
    }

    @Test func refusesToOverwriteUnlessAskedTo() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/identity.key"
        let first = SigningIdentity()
        try KeyFile.write(first, to: path, replace: false)
        let error = #expect(throws: GridError.self) { try KeyFile.write(SigningIdentity(), to: path, replace: false) }
        #expect(error?.code == .identityExists)
        #expect(try KeyFile.read(from: path).nodeID == first.nodeID)
        let second = SigningIdentity()
        try KeyFile.write(second, to: path, replace: true)
        #expect(try KeyFile.read(from: path).nodeID == second.nodeID)
    }

    @Test func refusesAKeyOthersCanRead() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/identity.key"
        try KeyFile.write(SigningIdentity(), to: path, replace: false)
        chmod(path, 0o644)
        let error = #expect(throws: GridError.self) { try KeyFile.read(from: path) }
        #expect(error?.code == .identityUnsafe)
        #expect(error?.message.contains("chmod 600") == true)
    }

    @Test(arguments: [Data(), Data("GRIDKEY1".utf8), Data(repeating: 7, count: 40), Data("GRIDKEY1".utf8) + Data(repeating: 1, count: 33)])
    func refusesCorruptFiles(_ contents: Data) throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/identity.key"
        _ = FileManager.default.createFile(atPath: path, contents: contents, attributes: [.posixPermissions: 0o600])
        let error = #expect(throws: GridError.self) { try KeyFile.read(from: path) }
        #expect(error?.code == .identityCorrupt)
    }

    @Test func missingFileSaysToInit() throws {
        let error = #expect(throws: GridError.self) { try KeyFile.read(from: directory + "/nope.key") }
        #expect(error?.code == .identityMissing)
        #expect(error?.message.contains("gridnode init") == true)
    }
}
