import Foundation
import GridCore

/// The program that serves a command skill: `skillCommands` in config.json maps a skill name to
/// an argv array (`["tr", "a-z", "A-Z"]`) or to
/// `{"command": [...], "env": {"NAME": "value"}, "deterministic": true}`.
public struct SkillCommand: Sendable, Equatable, Codable {
    /// The program and its arguments, run without a shell (`["sh", "-c", "..."]` for one).
    public var command: [String]
    /// Variables added to the program's clean environment. Default: none.
    public var env: [String: String]
    /// Whether the program's output depends only on its input: the skill is then announced as
    /// deterministic, and other nodes may verify its results by running the task themselves.
    /// Default false.
    public var deterministic: Bool

    public init(command: [String], env: [String: String] = [:], deterministic: Bool = false) {
        self.command = command
        self.env = env
        self.deterministic = deterministic
    }

    private enum Keys: String, CodingKey, CaseIterable { case command, env, deterministic }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let key = (["skillCommands"] + decoder.codingPath.suffix(1).map(\.stringValue)).joined(separator: ".")
        if let argv = try? decoder.singleValueContainer().decode([String].self) {
            self.init(command: argv)
            return
        }
        let shape = #"the program and its arguments, e.g. ["tr", "a-z", "A-Z"], or {"command": [...], "env": {"NAME": "value"}, "deterministic": true}"#
        guard let object = try? decoder.container(keyedBy: AnyKey.self) else {
            throw GridError(.invalidSetting, "\(key) must be \(shape)")
        }
        for unknown in object.allKeys where Keys(rawValue: unknown.stringValue) == nil {
            throw GridError(.invalidSetting, "\(key) has an unknown key '\(unknown.stringValue)'; use command, env and deterministic")
        }
        guard let argv = try? object.decode([String].self, forKey: AnyKey(stringValue: "command")) else {
            throw GridError(.invalidSetting, "\(key).command must be an array of strings: \(shape)")
        }
        let envKey = AnyKey(stringValue: "env")
        var env: [String: String] = [:]
        if object.contains(envKey) {
            guard let decoded = try? object.decode([String: String].self, forKey: envKey) else {
                throw GridError(.invalidSetting, #"\#(key).env must be an object of strings, e.g. {"NAME": "value"}"#)
            }
            env = decoded
        }
        let deterministicKey = AnyKey(stringValue: "deterministic")
        var deterministic = false
        if object.contains(deterministicKey) {
            guard let decoded = try? object.decode(Bool.self, forKey: deterministicKey) else {
                throw GridError(.invalidSetting, "\(key).deterministic must be true or false")
            }
            deterministic = decoded
        }
        self.init(command: argv, env: env, deterministic: deterministic)
    }

    /// The argv array alone when there is no env and the skill is not deterministic, so
    /// config.json reads as it was written.
    public func encode(to encoder: any Encoder) throws {
        if env.isEmpty, !deterministic {
            var container = encoder.singleValueContainer()
            try container.encode(command)
        } else {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(command, forKey: .command)
            if !env.isEmpty { try container.encode(env, forKey: .env) }
            if deterministic { try container.encode(true, forKey: .deterministic) }
        }
    }
}

extension NodeSettings {
    /// Command skills a node serves at most.
    public static let maxSkillCommands = 256

    /// The names in `skillCommands` (validated).
    public var commandSkillIDs: Set<SkillID> { Set(skillCommands.keys.compactMap { try? SkillID($0) }) }

    /// The command skills, each running its program in work directories under `workBase`
    /// (``DataDirectory/workPath``), its output bounded by `maxTaskBytes`.
    public func commandSkills(workBase: String) -> [SkillID: any Skill] {
        var table: [SkillID: any Skill] = [:]
        for (name, command) in skillCommands {
            guard let id = try? SkillID(name) else { continue }
            table[id] = CommandSkill(name: id, command: command, workBase: workBase, maxOutputBytes: maxTaskBytes)
        }
        return table
    }

    /// `skillCommands` from config.json, with errors that name the key (not Swift's type names).
    static func decodeSkillCommands(_ container: KeyedDecodingContainer<CodingKeys>) throws -> [String: SkillCommand] {
        guard container.contains(.skillCommands) else { return [:] }
        if (try? container.decodeNil(forKey: .skillCommands)) == true { return [:] }
        do {
            return try container.decode([String: SkillCommand].self, forKey: .skillCommands)
        } catch let error as GridError {
            throw error
        } catch {
            throw GridError(
                .invalidSetting, #"skillCommands must be an object mapping a skill name to its command, e.g. {"upper": ["tr", "a-z", "A-Z"]}"#)
        }
    }

    func validateSkillCommands() throws(GridError) {
        guard skillCommands.count <= Self.maxSkillCommands else {
            throw GridError(.invalidSetting, "skillCommands has \(skillCommands.count) skills; at most \(Self.maxSkillCommands) are allowed")
        }
        for (name, command) in skillCommands.sorted(by: { $0.key < $1.key }) {
            do {
                _ = try SkillID(name)
            } catch {
                throw GridError(.invalidSetting, "skillCommands: \(error.message)")
            }
            let key = "skillCommands.\(name)"
            guard let program = command.command.first, !program.isEmpty else {
                throw GridError(.invalidSetting, #"\#(key) has no program; give the program and its arguments, e.g. ["tr", "a-z", "A-Z"]"#)
            }
            guard !skills.contains(name) else {
                throw GridError(
                    .invalidSetting,
                    "\(key) has the name of the built-in skill '\(name)' in skills; rename the command skill, or remove '\(name)' from skills to serve the command instead")
            }
            guard !command.command.contains(where: { $0.utf8.contains(0) }) else {
                throw GridError(.invalidSetting, "\(key) has an argument with a NUL byte; arguments are C strings")
            }
            for (variable, value) in command.env {
                guard !variable.isEmpty, !variable.contains("="), !variable.utf8.contains(0), !value.utf8.contains(0) else {
                    throw GridError(.invalidSetting, "\(key).env has the variable '\(variable)'; a name must be non-empty, without '=' or NUL")
                }
            }
        }
    }

    /// Parses `gridnode run --skill-command NAME=COMMAND`. COMMAND is split on whitespace; quotes
    /// ('...' or "...") keep spaces in one argument, and there is no other shell syntax (use
    /// `sh -c '...'` for pipes, redirection or variables).
    public static func parseSkillCommandFlag(_ flag: String) throws(GridError) -> (name: String, command: SkillCommand) {
        let example = #"e.g. --skill-command 'upper=tr a-z A-Z'"#
        guard let equals = flag.firstIndex(of: "="), equals != flag.startIndex else {
            throw GridError(.invalidSetting, "--skill-command '\(flag)' is not NAME=COMMAND; \(example)")
        }
        let name = String(flag[..<equals]).trimmingCharacters(in: .whitespaces)
        do {
            _ = try SkillID(name)
        } catch {
            throw GridError(.invalidSetting, "--skill-command: \(error.message)")
        }
        let argv = try splitCommandLine(String(flag[flag.index(after: equals)...]))
        guard !argv.isEmpty else {
            throw GridError(.invalidSetting, "--skill-command '\(flag)' has no command after '='; \(example)")
        }
        return (name, SkillCommand(command: argv))
    }

    /// Words separated by whitespace; a quoted part ('...' or "...") is taken as it is.
    static func splitCommandLine(_ text: String) throws(GridError) -> [String] {
        var words: [String] = []
        var word: String?
        var quote: Character?
        for character in text {
            if let open = quote {
                if character == open { quote = nil } else { word!.append(character) }
            } else if character == "'" || character == "\"" {
                quote = character
                word = word ?? ""
            } else if character.isWhitespace {
                if let finished = word { words.append(finished) }
                word = nil
            } else {
                word = (word ?? "") + String(character)
            }
        }
        guard quote == nil else {
            throw GridError(
                .invalidSetting,
                "--skill-command: the command \(text) has an unclosed quote; close it, or configure the argv array in config.json's skillCommands")
        }
        if let finished = word { words.append(finished) }
        return words
    }
}
