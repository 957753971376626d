/// How much each part of a candidate's score counts (docs/ROUTING.md). Only the ratios matter: the
/// score divides by their sum, so it stays within 0...1. Set in config (`routing`).
public struct RoutingWeights: Sendable, Equatable, Codable {
    /// Trust score (EigenTrust, scaled so the most trusted peer is 1). Default 0.25.
    public var trust: Double
    /// Smoothed success rate for the skill. Default 0.30.
    public var rating: Double
    /// Speed: `ref / (ref + latency)`. Default 0.15.
    public var latency: Double
    /// Spare capacity: `1 − load / capacity`. Default 0.25.
    public var load: Double
    /// How recently the node was heard from. Default 0.05.
    public var recency: Double

    public init(trust: Double = 0.25, rating: Double = 0.30, latency: Double = 0.15, load: Double = 0.25, recency: Double = 0.05) {
        self.trust = trust
        self.rating = rating
        self.latency = latency
        self.load = load
        self.recency = recency
    }

    public static let `default` = RoutingWeights()

    var sum: Double { trust + rating + latency + load + recency }

    /// Throws unless every weight is finite and at least 0, and one is above 0.
    public func validated() throws(GridError) -> RoutingWeights {
        let all = [("trust", trust), ("rating", rating), ("latency", latency), ("load", load), ("recency", recency)]
        if let bad = all.first(where: { !$0.1.isFinite || $0.1 < 0 }) {
            throw GridError(.invalidRoutingWeights, "routing weight '\(bad.0)' is \(bad.1); weights are numbers of 0 or more")
        }
        guard sum > 0 else {
            throw GridError(.invalidRoutingWeights, "every routing weight is 0; give at least one a positive weight")
        }
        return self
    }
}

extension GridError.Code {
    public static let invalidRoutingWeights = Self("routing.invalid_weights")
}
