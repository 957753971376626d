import GridCore

/// A deterministic generator for tests: the same seed gives the same sequence.
public typealias SeededRandomNumberGenerator = SplitMix64
