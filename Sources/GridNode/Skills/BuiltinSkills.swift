import GridCore
import GridCrypto

/// The skills every node can serve, enough to exercise every path of the grid.
public enum BuiltinSkills {
    public static let all: [SkillID: any Skill] = [
        try! SkillID("echo"): Echo(),
        try! SkillID("sha256"): Sha256(),
        try! SkillID("sleep"): Sleep(),
        try! SkillID("fail"): Fail(),
    ]

    public static var names: [String] { all.keys.map(\.name).sorted() }

    /// Returns its input.
    struct Echo: Skill {
        var isDeterministic: Bool { true }
        func run(_ input: [UInt8]) async -> TaskOutcome { .success(output: input) }
    }

    /// The lower-case hex SHA-256 digest of the input bytes.
    struct Sha256: Skill {
        var isDeterministic: Bool { true }
        func run(_ input: [UInt8]) async -> TaskOutcome { .success(output: Array(SHA256.hex(input).utf8)) }
    }

    /// Input: a whole number of milliseconds (at most 3600000). Returns it after that long.
    struct Sleep: Skill {
        var isDeterministic: Bool { true }
        static let maxMilliseconds = 3_600_000

        func run(_ input: [UInt8]) async -> TaskOutcome {
            let text = String(decoding: input, as: UTF8.self).trimmingWhitespace()
            guard let ms = Int(text), (0...Self.maxMilliseconds).contains(ms) else {
                return .failure(TaskFailure(.invalidInput, "sleep takes a whole number of milliseconds from 0 to \(Self.maxMilliseconds); got '\(text.prefix(40))'"))
            }
            do {
                try await Task.sleep(for: .milliseconds(ms))
            } catch {
                return .failure(TaskFailure(.timedOut, "sleep was cancelled before \(ms) ms passed"))
            }
            return .success(output: Array(text.utf8))
        }
    }

    /// Always fails, with its input as the message.
    struct Fail: Skill {
        var isDeterministic: Bool { true }
        func run(_ input: [UInt8]) async -> TaskOutcome {
            .failure(TaskFailure(.skillFailed, String(decoding: input, as: UTF8.self)))
        }
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
