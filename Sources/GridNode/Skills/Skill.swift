import GridCore

/// Work this node can do itself. Runs on the cooperative pool: a skill that blocks must hop off it.
public protocol Skill: Sendable {
    /// Runs on `input`. Cancellation (deadline passed) should end it early.
    func run(_ input: [UInt8]) async -> TaskOutcome
}
