import GridCore

extension Reputation {
    /// Whether `node` returned a wrong result within the conviction memory (24 hours).
    func isConvicted(_ node: NodeID) -> Bool {
        experience.isConvicted(node, now: .now)
    }

    /// How long a conviction lasts.
    var convictionMemory: Duration { experience.settings.convictionMemory }
}
