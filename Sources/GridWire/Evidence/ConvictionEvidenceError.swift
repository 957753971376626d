import GridCore

extension GridError.Code {
    /// A ConvictionEvidence that breaks one of its structural rules (``ConvictionEvidenceError``).
    public static let evidenceInvalid = Self("wire.evidence_invalid")
}

/// Why a `grid.v1.ConvictionEvidence` is not a proof at all: the first structural rule it breaks,
/// in the order Protocol/README.md gives them, and what is wrong, in words. A receiver drops such
/// evidence as malformed and counts it against the peer that sent it.
public struct ConvictionEvidenceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The rules, in the order they are checked. The raw values name them in the negative test
    /// vectors (`Protocol/vectors/negative/conviction_evidence_<rule>.json`).
    public enum Rule: String, Sendable, CaseIterable {
        /// The serialized evidence is larger than its bound (``ConvictionEvidenceMessage/maxBytes(frameLimit:)``).
        case tooLarge = "too_large"
        /// Fewer than 2 or more than 6 witnesses.
        case witnessCount = "witness_count"
        /// A run's request or result envelope is missing, malformed, or its signature does not verify.
        case badSignature = "bad_signature"
        /// A request envelope that is not a `grid.v1.TaskRequest`, or a result one not a `grid.v1.TaskResult`.
        case wrongPayloadType = "wrong_payload_type"
        /// A payload that does not parse as its type.
        case malformedPayload = "malformed_payload"
        /// The task's `task_id` is not 16 bytes, or its `skill` is not a valid skill name.
        case invalidTask = "invalid_task"
        /// The requests do not all have the same `task_id`, `skill` and `input`.
        case differentTask = "different_task"
        /// The requests are not all signed by one requester.
        case differentRequester = "different_requester"
        /// A result's `task_id` is not its request's.
        case resultTaskMismatch = "result_task_mismatch"
        /// A result's `request_digest` is not the SHA-256 of its own run's request payload.
        case requestDigestMismatch = "request_digest_mismatch"
        /// A result carries an error (or nothing), not an output.
        case noOutput = "no_output"
        /// A witness result is signed by the accused.
        case witnessIsAccused = "witness_is_accused"
        /// Two witness results are signed by the same node.
        case duplicateWitness = "duplicate_witness"
        /// The witnesses' outputs are not byte for byte the same.
        case witnessesDisagree = "witnesses_disagree"
        /// The witnesses' output is the accused's: nothing was shown wrong.
        case sameOutput = "same_output"
    }

    public let rule: Rule
    public let message: String

    public init(_ rule: Rule, _ message: String) {
        self.rule = rule
        self.message = message
    }

    public var description: String { "\(rule.rawValue): \(message)" }

    /// The same as a ``GridError`` (code `wire.evidence_invalid`), for logs and drops.
    public var gridError: GridError { GridError(.evidenceInvalid, "ConvictionEvidence refused (\(rule.rawValue)): \(message)") }
}
