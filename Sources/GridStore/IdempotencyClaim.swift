/// An application's idempotency key for a submission, with the digest of what it asked for: a
/// second submission with the key gets the first task back when the digests match.
public struct IdempotencyClaim: Sendable, Equatable {
    /// Longest key, in characters.
    public static let maxKeyLength = 128

    public var key: String
    /// SHA-256 (hex) of the request's canonical encoding (``GridCore/TaskSpec/requestEncoding``).
    public var requestDigest: String

    public init(key: String, requestDigest: String) {
        self.key = key
        self.requestDigest = requestDigest
    }
}

/// What ``GridDatabase/recordSubmitted(_:idempotency:atMs:)`` did.
public enum SubmitRecording: Sendable, Equatable {
    /// The task is recorded: start it.
    case recorded
    /// The key was used before, by this task; nothing was recorded.
    case existing(TaskRecord)
}
