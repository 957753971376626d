import Foundation
import GridCore
import GridNode
import GridTestKit
import Testing

@Suite struct SkillCommandSettingsTests {
    func load(_ json: String) throws -> NodeSettings {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/config.json"
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return try NodeSettings.load(from: path)
    }

    @Test func noCommandSkillsByDefault() {
        #expect(NodeSettings.default.skillCommands.isEmpty)
        #expect(NodeSettings.default.json().contains(#""skillCommands" : {"#))
    }

    @Test func anArgvArrayOrAnObjectWithEnv() throws {
        let settings = try load(
            #"{"skillCommands": {"upper": ["tr", "a-z", "A-Z"], "model.run": {"command": ["sh", "-c", "run"], "env": {"MODEL": "small"}}, "plain": {"command": ["cat"]}}}"#
        )
        #expect(
            settings.skillCommands == [
                "upper": SkillCommand(command: ["tr", "a-z", "A-Z"]),
                "model.run": SkillCommand(command: ["sh", "-c", "run"], env: ["MODEL": "small"]),
                "plain": SkillCommand(command: ["cat"]),
            ])
        #expect(settings.commandSkillIDs == [try SkillID("upper"), try SkillID("model.run"), try SkillID("plain")])
        #expect(try load(settings.json()) == settings, "config show's JSON loads back the same")
        #expect(settings.json().contains(#""upper" : ["#), "an argv without env is written as an array")
    }

    @Test func aCommandSkillIsDeterministicOnlyWhenItsObjectSaysSo() throws {
        let settings = try load(
            #"{"skillCommands": {"upper": {"command": ["tr", "a-z", "A-Z"], "deterministic": true}, "roll": {"command": ["shuf"], "deterministic": false}, "plain": ["cat"]}}"#
        )
        #expect(
            settings.skillCommands == [
                "upper": SkillCommand(command: ["tr", "a-z", "A-Z"], deterministic: true),
                "roll": SkillCommand(command: ["shuf"]),
                "plain": SkillCommand(command: ["cat"]),
            ])
        #expect(try load(settings.json()) == settings, "config show's JSON loads back the same")
        #expect(settings.json().contains(#""deterministic" : true"#))
        #expect(settings.json().contains(#""roll" : ["#), "deterministic false is the default, written as an array")
        let skills = settings.commandSkills(workBase: "/tmp/n1/work")
        #expect(skills[try SkillID("upper")]?.isDeterministic == true)
        #expect(skills[try SkillID("roll")]?.isDeterministic == false)
        #expect(skills[try SkillID("plain")]?.isDeterministic == false)
        let flag = try NodeSettings.parseSkillCommandFlag("upper=tr a-z A-Z")
        #expect(flag.command.deterministic == false, "--skill-command is never deterministic: use config.json's object form")
    }

    @Test func commandSkillsAreBoundedByMaxTaskBytesAndUseTheWorkDirectory() throws {
        var settings = NodeSettings()
        settings.maxTaskBytes = 5000
        settings.skillCommands = ["upper": SkillCommand(command: ["tr", "a-z", "A-Z"], env: ["A": "1"])]
        let skills = settings.commandSkills(workBase: DataDirectory(path: "/tmp/n1").workPath)
        let skill = try #require(skills[try SkillID("upper")] as? CommandSkill)
        #expect(skill.runner == CommandRunner(command: ["tr", "a-z", "A-Z"], environment: ["A": "1"], workBase: "/tmp/n1/work", maxOutputBytes: 5000))
    }

    @Test(arguments: [
        (#"{"skillCommands": {"upper": []}}"#, "skillCommands.upper has no program"),
        (#"{"skillCommands": {"upper": [""]}}"#, "skillCommands.upper has no program"),
        (#"{"skillCommands": {"Upper Case": ["tr"]}}"#, "'Upper Case' is not a valid skill name"),
        (#"{"skillCommands": {"echo": ["cat"]}}"#, "skillCommands.echo has the name of the built-in skill 'echo' in skills"),
        (#"{"skillCommands": {"upper": "tr a-z A-Z"}}"#, "skillCommands.upper must be the program and its arguments"),
        (#"{"skillCommands": {"upper": {"cmd": ["tr"]}}}"#, "skillCommands.upper has an unknown key 'cmd'"),
        (#"{"skillCommands": {"upper": {"env": {}}}}"#, "skillCommands.upper.command must be an array of strings"),
        (#"{"skillCommands": {"upper": {"command": ["tr"], "env": {"N": 1}}}}"#, "skillCommands.upper.env must be an object of strings"),
        (#"{"skillCommands": {"upper": {"command": ["tr"], "env": {"A=B": "1"}}}}"#, "skillCommands.upper.env has the variable 'A=B'"),
        (#"{"skillCommands": {"upper": {"command": ["tr"], "deterministic": "yes"}}}"#, "skillCommands.upper.deterministic must be true or false"),
        (#"{"skillCommands": ["tr"]}"#, "skillCommands must be an object mapping a skill name to its command"),
    ])
    func badCommandsSayWhatToFix(_ json: String, _ mentioned: String) throws {
        let error = #expect(throws: GridError.self) { try load(json) }
        #expect(error?.message.contains(mentioned) == true, "\(error?.message ?? "")")
    }

    @Test func aBuiltInNameIsFineWhenTheNodeDoesNotServeTheBuiltIn() throws {
        let settings = try load(#"{"skills": ["echo"], "skillCommands": {"sha256": ["sha256sum"]}}"#)
        #expect(settings.skillCommands["sha256"] == SkillCommand(command: ["sha256sum"]))
    }

    @Test(arguments: [
        ("upper=tr a-z A-Z", "upper", ["tr", "a-z", "A-Z"]),
        ("upper = tr   a-z\tA-Z ", "upper", ["tr", "a-z", "A-Z"]),
        ("rev=sh -c 'tr a-z A-Z | rev'", "rev", ["sh", "-c", "tr a-z A-Z | rev"]),
        (#"say=echo "two words" '' x"y z"w"#, "say", ["echo", "two words", "", "xy zw"]),
        ("eq=env A=1 env", "eq", ["env", "A=1", "env"]),
    ])
    func theFlagIsSplitOnWhitespaceWithQuotesKeepingSpaces(_ flag: String, _ name: String, _ argv: [String]) throws {
        let parsed = try NodeSettings.parseSkillCommandFlag(flag)
        #expect(parsed.name == name)
        #expect(parsed.command == SkillCommand(command: argv))
    }

    @Test(arguments: [
        ("upper", "is not NAME=COMMAND"),
        ("=tr a-z A-Z", "is not NAME=COMMAND"),
        ("upper=", "has no command after '='"),
        ("upper=   ", "has no command after '='"),
        ("Upper=tr", "'Upper' is not a valid skill name"),
        ("rev=sh -c 'rev", "unclosed quote"),
    ])
    func aBadFlagSaysWhatToFix(_ flag: String, _ mentioned: String) {
        let error = #expect(throws: GridError.self) { try NodeSettings.parseSkillCommandFlag(flag) }
        #expect(error?.message.contains(mentioned) == true, "\(error?.message ?? "")")
    }
}
