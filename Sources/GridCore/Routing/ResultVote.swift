/// The quorum of a replicated task (BOINC-style): the same task runs on `replicas` distinct nodes,
/// and the result a strict majority of them agree on — by the digest of its output — is accepted.
///
/// Only successful results vote. A failed replica counts against reaching a majority: once the
/// replicas still out cannot lift any digest above half, the vote is lost.
public struct ResultVote: Sendable, Equatable {
    public enum Decision: Sendable, Equatable {
        /// Not decided yet: more replicas must answer.
        case pending
        /// `digest` has a strict majority: `agreeing` produced it, `dissenting` produced another.
        case accepted(digest: [UInt8], agreeing: [NodeID], dissenting: [NodeID])
        /// No digest can reach a majority any more.
        case noMajority(votes: [[UInt8]: [NodeID]], failed: [NodeID])
    }

    public let replicas: Int
    public private(set) var votes: [[UInt8]: [NodeID]] = [:]
    public private(set) var failed: [NodeID] = []
    /// Replicas that failed without any node having run them (every candidate refused, say).
    public private(set) var unassignedFailures = 0

    public init(replicas: Int) {
        precondition(replicas >= 1, "at least one replica")
        self.replicas = replicas
    }

    /// Replicas that answered, successfully or not.
    public var answered: Int { votes.values.reduce(0) { $0 + $1.count } + failed.count + unassignedFailures }
    /// The votes a digest needs: more than half of the replicas.
    public var majority: Int { replicas / 2 + 1 }

    /// `node`'s replica produced output with `digest`. A node votes once; later votes are ignored.
    public mutating func add(_ node: NodeID, digest: [UInt8]) -> Decision {
        guard !hasAnswered(node), answered < replicas else { return decision }
        votes[digest, default: []].append(node)
        return decision
    }

    /// `node`'s replica failed; nil when no node ran it at all.
    public mutating func addFailure(_ node: NodeID?) -> Decision {
        guard answered < replicas else { return decision }
        guard let node else {
            unassignedFailures += 1
            return decision
        }
        guard !hasAnswered(node) else { return decision }
        failed.append(node)
        return decision
    }

    public var decision: Decision {
        if let (digest, agreeing) = votes.first(where: { $0.value.count >= majority }) {
            let dissenting = votes.filter { $0.key != digest }.values.flatMap { $0 }.sorted()
            return .accepted(digest: digest, agreeing: agreeing, dissenting: dissenting)
        }
        let outstanding = replicas - answered
        let best = votes.values.map(\.count).max() ?? 0
        return best + outstanding >= majority ? .pending : .noMajority(votes: votes, failed: failed)
    }

    private func hasAnswered(_ node: NodeID) -> Bool {
        failed.contains(node) || votes.values.contains { $0.contains(node) }
    }
}
