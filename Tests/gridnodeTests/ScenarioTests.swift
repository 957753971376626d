import Foundation
import GridCore
import GridTestKit
import Testing

@testable import gridnode

@Suite struct ScenarioTests {
    func scenario(_ json: String) throws -> Scenario {
        try JSONDecoder().decode(Scenario.self, from: Data(json.utf8))
    }

    static let base = #""name": "t", "nodes": 3, "load": {"node": "node1", "skill": "echo", "concurrency": 2, "duration": "5s"}"#

    @Test func theShippedScenariosAreValid() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Benchmarks/Scenarios").standardizedFileURL
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }.sorted()
        #expect(files == ["lying-provider.json", "partition-heals.json", "provider-killed.json", "slow-provider.json"])
        for file in files { _ = try Scenario.load(from: directory.appendingPathComponent(file).path) }
    }

    @Test func stepsRunInTimeOrderThenFileOrder() throws {
        let s = try scenario(
            "{\(Self.base), \"steps\": [{\"at\": \"2s\", \"action\": \"heal\"}, {\"at\": \"0\", \"action\": \"kill\", \"nodes\": [\"node2\"]}, {\"at\": \"500ms\", \"action\": \"refuse\", \"nodes\": [\"node3\"]}, {\"at\": \"2s\", \"action\": \"start\", \"nodes\": [\"node2\"]}]}")
        try s.validate(source: "t.json")
        let timeline = try s.timeline()
        #expect(timeline.map(\.offset) == [.zero, .milliseconds(500), .seconds(2), .seconds(2)])
        #expect(timeline.map(\.step.action) == [.kill, .refuse, .heal, .start])
    }

    @Test(arguments: [
        (#"[{"at": "1s", "action": "kill", "nodes": ["node9"]}]"#, "t.json: step 1 (kill) names 'node9'; the nodes are node1 to node3"),
        (#"[{"at": "soon", "action": "heal"}]"#, "t.json: step 1 (heal): at: 'soon' is not a duration; give a number with ms, s, m or h (500ms, 30s, 2m) or a plain number of seconds"),
        (#"[{"at": "1s", "action": "lie", "nodes": ["node2"]}]"#, #"t.json: step 1 (lie) needs "skill""#),
        (#"[{"at": "1s", "action": "delay", "nodes": ["node2"]}]"#, #"t.json: step 1 (delay) needs "ms""#),
        (#"[{"at": "1s", "action": "drop", "nodes": ["node2"]}]"#, #"t.json: step 1 (drop) needs "share" (0-1)"#),
        (#"[{"at": "1s", "action": "kill"}]"#, #"t.json: step 1 (kill) needs "nodes""#),
        (#"[{"at": "1s", "action": "partition", "nodes": ["node1"], "from": ["node4"]}]"#, "t.json: step 1 (partition) from names 'node4'; the nodes are node1 to node3"),
    ])
    func refusesABadStep(_ steps: String, _ message: String) throws {
        let s = try scenario("{\(Self.base), \"steps\": \(steps)}")
        #expect(throws: GridError(.scenario, message)) { try s.validate(source: "t.json") }
    }

    @Test func refusesABadLoadOrCluster() throws {
        let both = try scenario(#"{"name": "t", "nodes": 2, "load": {"node": "node1", "skill": "echo", "rate": 5, "concurrency": 2, "duration": "5s"}, "steps": []}"#)
        #expect(throws: GridError(.scenario, "t.json: load needs exactly one of rate and concurrency")) { try both.validate(source: "t.json") }
        let elsewhere = try scenario(#"{"name": "t", "nodes": 2, "load": {"node": "node3", "skill": "echo", "rate": 5, "duration": "5s"}, "steps": []}"#)
        #expect(throws: GridError(.scenario, "t.json: load.node names 'node3'; the nodes are node1 to node2")) { try elsewhere.validate(source: "t.json") }
        let none = try scenario(#"{"name": "t", "nodes": 0, "load": {"node": "node1", "skill": "echo", "rate": 5, "duration": "5s"}, "steps": []}"#)
        #expect(throws: GridError(.scenario, "t.json: --nodes is 0; use 1-64")) { try none.validate(source: "t.json") }
    }

    @Test func anUnreadableOrMalformedFileSaysWhatToDo() throws {
        let root = try TemporaryDirectory()
        defer { root.remove() }
        #expect(throws: GridError.self) { try Scenario.load(from: root.path + "/missing.json") }
        let path = root.path + "/bad.json"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(#"{"name": 1}"#.utf8)))
        do {
            _ = try Scenario.load(from: path)
            Issue.record("a malformed scenario was accepted")
        } catch {
            #expect(error.message.hasPrefix("\(path) is not a scenario:"))
        }
    }
}
