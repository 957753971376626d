import ArgumentParser
import Foundation
import GridCore
import GridLocalAPI
import GridNode
import GridTestKit
import Testing

@testable import gridnode

@Suite struct LoadCommandTests {
    func load(_ arguments: [String]) throws -> Load {
        try #require(try Gridnode.parseAsRoot(["load"] + arguments) as? Load)
    }

    @Test func thePlanComesFromTheFlags() throws {
        let plan = try load(["--skill", "echo", "--rate", "200", "--duration", "2m", "--input-bytes", "16"]).plan()
        #expect(plan == (try LoadPlan(rate: 200, concurrency: nil, duration: .seconds(120), inputBytes: 16)))
        #expect(try load(["--skill", "echo", "--concurrency", "4"]).plan().duration == .seconds(30))
        #expect(throws: GridError.self) { try load(["--skill", "echo", "--rate", "5", "--concurrency", "4"]).plan() }
        #expect(throws: GridError.self) { try load(["--skill", "echo", "--concurrency", "4", "--duration", "abc"]).plan() }
        #expect(throws: GridError.self) { try load(["--skill", "echo", "--concurrency", "4", "--timeout", "0"]).plan() }
        #expect(throws: GridError.self) { try load(["--skill", "Not A Skill", "--concurrency", "4"]).plan() }
    }

    @Test func theInputIsTheTextLoadOrRandomBytes() throws {
        let command = try load(["--skill", "echo", "--concurrency", "1", "--input-bytes", "100", "--timeout", "1.5"])
        let params = try command.params(try command.plan())
        #expect(params.input == nil && params.wait == true && params.timeoutMs == 1500)
        #expect(Data(base64Encoded: try #require(params.inputBase64))?.count == 100)
        let text = try load(["--skill", "echo", "--concurrency", "1"])
        #expect(try text.params(try text.plan()).input == "load")
    }

    @Test func errorsCountUnderTheirReason() {
        let failed = RPCError(code: RPCError.taskFailed, message: "late", data: .init(taskId: "t", reason: "timed_out"))
        #expect(LoadRun.outcome(of: failed) == .failed(reason: "timed_out"))
        #expect(LoadRun.outcome(of: RPCError(code: RPCError.unavailable, message: "store")) == .failed(reason: "unavailable"))
        #expect(LoadRun.outcome(of: RPCError(code: RPCError.internalError, message: "?")) == .failed(reason: "rpc_error"))
        #expect(
            LoadRun.outcome(of: RPCError(code: RPCError.invalidParams, message: "timeoutMs is 9")) == .fatal(reason: "invalid_params", why: "the node refuses these tasks: timeoutMs is 9"))
        #expect(
            LoadRun.outcome(of: GridError(.nodeUnreachable, "the node closed the connection")) == .fatal(reason: "connection", why: "lost the node: the node closed the connection"))
    }

    @Test func aClusterNodeIsOneOfTheClustersNodes() throws {
        let root = try TemporaryDirectory()
        defer { root.remove() }
        let cluster = root.path + "/c"
        let notACluster = try load(["--skill", "echo", "--concurrency", "1", "--node", "node1", "--cluster", cluster])
        #expect(throws: GridError.self) { try notACluster.target(environment: [:]) }
        try FileManager.default.createDirectory(atPath: cluster, withIntermediateDirectories: true)
        let file = ClusterFile(
            network: "cluster-test",
            nodes: [.init(name: "node1", nodeId: String(repeating: "ab", count: 32), port: 7501, skills: ["echo"], pid: nil, allowFaults: true)])
        try ClusterDirectory(path: cluster).save(file)
        let fromEnvironment = try load(["--skill", "echo", "--concurrency", "1", "--node", "node1"]).target(environment: ["GRID_CLUSTER": cluster])
        #expect(fromEnvironment.directory == DataDirectory(path: cluster + "/node1") && fromEnvironment.name == "node1")
        #expect(throws: GridError(.clusterNodeUnknown, "no node named 'node2' in the cluster at \(cluster); its nodes are node1")) {
            try load(["--skill", "echo", "--concurrency", "1", "--node", "node2", "--cluster", cluster]).target(environment: [:])
        }
        #expect(throws: GridError.self) { try load(["--skill", "echo", "--concurrency", "1", "--node", "node1", "--data-dir", "/x"]).target(environment: [:]) }
        #expect(throws: GridError.self) { try load(["--skill", "echo", "--concurrency", "1", "--cluster", cluster]).target(environment: [:]) }
    }
}

@Suite struct LoadOutputCheckTests {
    @Test func knowsTheRightOutputOfEchoAndSha256Only() {
        #expect(LoadOutputCheck.expected(skill: "echo", input: Array("hi".utf8)) == Array("hi".utf8))
        #expect(
            LoadOutputCheck.expected(skill: "sha256", input: Array("hello".utf8))
                == Array("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824".utf8))
        #expect(LoadOutputCheck.expected(skill: "sleep", input: Array("5".utf8)) == nil)
    }

    @Test func readsInputsAndOutputsInEitherForm() {
        #expect(LoadOutputCheck.input(of: SubmitParams(skill: "echo", input: "x")) == [0x78])
        var binary = SubmitParams(skill: "echo")
        binary.inputBase64 = "AAE="
        #expect(LoadOutputCheck.input(of: binary) == [0, 1])
        var view = TaskView(taskId: String(repeating: "0", count: 32), skill: "echo", status: .succeeded, submittedAtMs: 0)
        view.outputBase64 = "AAE="
        #expect(LoadOutputCheck.output(of: view) == [0, 1])
    }
}
