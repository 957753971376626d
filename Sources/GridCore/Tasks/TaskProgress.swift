/// How far a task has got, as its executor reports it to the requester (Protocol/README.md,
/// `grid.v1.TaskProgress`): started, or a skill's progress with an optional fraction and a message.
public struct TaskProgress: Sendable, Hashable, CustomStringConvertible {
    public enum Stage: Sendable, Hashable {
        /// The executor began running the task, after any wait in its queue.
        case started
        /// The skill reported how far it has got.
        case progress
    }

    /// Longest `message`, in bytes of UTF-8.
    public static let maxMessageBytes = 200
    /// A whole task, in millionths.
    public static let wholePPM: UInt32 = 1_000_000

    public let stage: Stage
    /// The part done in millionths, `0...wholePPM`; nil when none was reported.
    public let fractionPPM: UInt32?
    /// Human-readable, at most ``maxMessageBytes`` bytes of UTF-8; empty when none.
    public let message: String

    /// A report whose fields are within their bounds. Throws ``GridError/Code/invalidArgument``
    /// naming the bound otherwise (for input from the network: ``init(stage:fraction:message:)``
    /// clamps instead).
    public init(stage: Stage, fractionPPM: UInt32?, message: String) throws(GridError) {
        if let fractionPPM, fractionPPM > Self.wholePPM {
            throw GridError(.invalidArgument, "a progress fraction of \(fractionPPM) ppm is above \(Self.wholePPM) (the whole task)")
        }
        guard message.utf8.count <= Self.maxMessageBytes else {
            throw GridError(
                .invalidArgument,
                "a progress message of \(message.utf8.count) bytes is longer than \(Self.maxMessageBytes); shorten it")
        }
        self.stage = stage
        self.fractionPPM = fractionPPM
        self.message = message
    }

    /// What a skill reports, brought within bounds: `fraction` clamped to `0...1` and rounded to
    /// millionths (NaN counts as none), `message` cut to ``maxMessageBytes`` at a character boundary.
    public init(stage: Stage, fraction: Double?, message: String?) {
        self.stage = stage
        fractionPPM = fraction.flatMap { $0.isNaN ? nil : UInt32((min(max($0, 0), 1) * Double(Self.wholePPM)).rounded()) }
        self.message = Self.truncated(message ?? "")
    }

    /// The fraction done, `0...1`, when one was reported.
    public var fraction: Double? { fractionPPM.map { Double($0) / Double(Self.wholePPM) } }

    public var description: String {
        let stage = stage == .started ? "started" : "progress"
        let fraction = fractionPPM.map { " \(Double($0) / 10_000)%" } ?? ""
        return message.isEmpty ? stage + fraction : "\(stage)\(fraction): \(message)"
    }

    /// The longest prefix of whole characters that fits ``maxMessageBytes``.
    static func truncated(_ message: String) -> String {
        guard message.utf8.count > maxMessageBytes else { return message }
        var bytes = 0
        var end = message.startIndex
        for index in message.indices {
            let next = message.index(after: index)
            bytes += message[index..<next].utf8.count
            guard bytes <= maxMessageBytes else { break }
            end = next
        }
        return String(message[..<end])
    }
}
