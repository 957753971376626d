import Foundation
import GridClient
import GridLocalAPI
import GridTestKit
import Testing

/// The local API over the node's real Unix socket.
@Suite struct LocalAPIClusteredTests {
    @Test func roundTripsOverTheRealSocket() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo", "sha256"])]) { cluster in
            let node = cluster[0]
            let mode = try FileManager.default.attributesOfItem(atPath: node.socketPath)[.posixPermissions] as? Int
            #expect(mode == 0o600)
            try await node.withClient { api in
                let info = try await api.info()
                #expect(info.nodeId == node.nodeID.hex)
                #expect(info.skills == ["echo", "sha256"])
                #expect(info.peerCount == 0)
                #expect(try await api.peers().isEmpty)

                let accepted = try await api.submit(SubmitParams(skill: "echo", input: "later"))
                #expect(accepted.status != .failed)
                try await poll("task \(accepted.taskId) to finish") { try await api.task(accepted.taskId).status == .succeeded }
                #expect(try await api.task(accepted.taskId).output == "later")

                let binary = Data([0xff, 0x00, 0xfe])
                let echoed = try await api.submit(SubmitParams(skill: "echo", inputBase64: binary.base64EncodedString(), wait: true))
                #expect(echoed.output == nil)
                #expect(echoed.outputBase64 == binary.base64EncodedString())
            }
        }
    }

    @Test func badParamsGetErrorsThatSayWhatToDo() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"], configure: { $0.maxTaskBytes = 8 })]) { cluster in
            try await cluster[0].withClient { api in
                let cases: [(SubmitParams, String)] = [
                    (SubmitParams(skill: "echo", input: "a", inputBase64: "YQ=="), "not both"),
                    (SubmitParams(skill: "echo", inputBase64: "%%%"), "base64"),
                    (SubmitParams(skill: "Echo!"), "not a valid skill name"),
                    (SubmitParams(skill: "echo", input: "123456789"), "at most 8"),
                    (SubmitParams(skill: "echo", timeoutMs: 0), "timeoutMs"),
                    (SubmitParams(skill: "echo", priority: 256), "priority"),
                ]
                for (params, mentioned) in cases {
                    let error = await #expect(throws: RPCError.self) { try await api.submit(params) }
                    #expect(error?.code == RPCError.invalidParams)
                    #expect(error?.message.contains(mentioned) == true, "\(error?.message ?? "")")
                }
                let missing = await #expect(throws: RPCError.self) { try await api.task(String(repeating: "0", count: 32)) }
                #expect(missing?.code == RPCError.taskNotFound)
            }
        }
    }

    @Test func malformedLinesGetJSONRPCErrorsAndTheConnectionGoesOn() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"])]) { cluster in
            try await RawLineClient.withConnection(socketPath: cluster[0].socketPath) { raw in
                let exchanges: [(String, Int)] = [
                    ("this is not json\n", RPCError.parseError),
                    (#"{"jsonrpc":"1.0","id":1,"method":"node.info"}"# + "\n", RPCError.invalidRequest),
                    (#"{"jsonrpc":"2.0","id":2,"method":"node.reboot"}"# + "\n", RPCError.methodNotFound),
                    (#"{"jsonrpc":"2.0","id":3,"method":"task.submit","params":{"skill":7}}"# + "\n", RPCError.invalidParams),
                    (#"{"jsonrpc":"2.0","id":4,"method":"task.submit"}"# + "\n", RPCError.invalidParams),
                ]
                for (line, code) in exchanges {
                    try await raw.send(line)
                    let answer = try #require(try await raw.readLine())
                    let response = try JSONDecoder().decode(RPCResponse<NoResult>.self, from: Data(answer.utf8))
                    #expect(response.error?.code == code, "\(line)")
                    #expect(answer.contains(#""id":"#), "every response carries an id, null when unknown: \(answer)")
                }
                // Notifications get no answer, even for an unknown method.
                try await raw.send(#"{"jsonrpc":"2.0","method":"node.reboot"}"# + "\n")
                // A notification gets no answer; the next request's answer comes next.
                try await raw.send(#"{"jsonrpc":"2.0","method":"node.info"}"# + "\n" + #"{"jsonrpc":"2.0","id":"last","method":"node.info"}"# + "\n")
                let response = try JSONDecoder().decode(RPCResponse<NodeInfoView>.self, from: Data(try #require(try await raw.readLine()).utf8))
                #expect(response.id == .string("last"))
                #expect(response.result?.nodeId == cluster[0].nodeID.hex)
            }
        }
    }

    @Test func anOverlongLineIsRefusedAndTheConnectionClosed() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"])]) { cluster in
            try await RawLineClient.withConnection(socketPath: cluster[0].socketPath) { raw in
                try await raw.send(String(repeating: "x", count: LocalAPI.maxLineBytes + 10))
                let line = try #require(try await raw.readLine())
                let response = try JSONDecoder().decode(RPCResponse<NoResult>.self, from: Data(line.utf8))
                #expect(response.error?.code == RPCError.invalidRequest)
                #expect(try await raw.readLine() == nil)
            }
            // The node is still serving.
            #expect(try await cluster[0].withClient { try await $0.info() }.nodeId == cluster[0].nodeID.hex)
        }
    }

    @Test func aTaskNobodyCanRunShowsAsFailedWithoutWaiting() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"])]) { cluster in
            let view = try await cluster[0].withClient { try await $0.submit(SubmitParams(skill: "sha256", input: "x")) }
            #expect(view.status == .failed)
            #expect(view.error?.code == "no_provider")
        }
    }

    @Test func noNodeRunningIsAClearError() async throws {
        let error = await #expect(throws: (any Error).self) {
            try await GridClient.withConnection(socketPath: "/tmp/grid-nothing-here.sock") { try await $0.info() }
        }
        #expect("\(error.map { "\($0)" } ?? "")".contains("gridnode run"))
    }
}
