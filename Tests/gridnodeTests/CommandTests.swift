import ArgumentParser
import GridCrypto
import GridNode
import GridTestKit
import Testing

@testable import gridnode

@Suite struct CommandTests {
    func run(_ arguments: [String]) async throws {
        var command = try Gridnode.parseAsRoot(arguments)
        if var async = command as? any AsyncParsableCommand {
            try await async.run()
        } else {
            try command.run()
        }
    }

    @Test func initRefusesToOverwriteAnIdentity() async throws {
        let root = try TemporaryDirectory()
        defer { root.remove() }
        let directory = root.path + "/node"
        try await run(["init", "--data-dir", directory])
        let first = try KeyFile.read(from: directory + "/identity.key").nodeID
        await #expect(throws: ExitCode.failure) { try await run(["init", "--data-dir", directory]) }
        #expect(try KeyFile.read(from: directory + "/identity.key").nodeID == first)
        try await run(["init", "--data-dir", directory, "--force"])
        #expect(try KeyFile.read(from: directory + "/identity.key").nodeID != first)
    }

    @Test func runTakesNewStore() throws {
        #expect(try #require(try Gridnode.parseAsRoot(["run", "--new-store"]) as? Run).newStore)
        #expect(try #require(try Gridnode.parseAsRoot(["run"]) as? Run).newStore == false)
    }

    @Test func submitValidatesItsFlags() {
        #expect(throws: (any Error).self) { try Gridnode.parseAsRoot(["submit", "echo", "--input", "a", "--input-file", "b"]) }
        #expect(throws: (any Error).self) { try Gridnode.parseAsRoot(["submit", "echo", "--timeout", "0"]) }
    }
}
