import GridCore

/// How the malicious nodes of a ``GridSimulation`` behave: the threat models of the EigenTrust
/// paper (Kamvar, Schlosser, Garcia-Molina 2003, section 7), as providers of one deterministic skill.
///
/// Outputs are digests. An honest run of task `x` gives the correct digest of `x`; a lie gives
/// another one. What a liar says about others in its TrustReports is part of the model too.
public enum ThreatModel: String, Sendable, CaseIterable, Codable {
    /// A: individual liars. Every answer is wrong, and each liar's wrong output is its own, so two
    /// liars never agree in a vote. They send no TrustReport: they collude with nobody, and a
    /// report in their own favour counts for nothing (self-trust is dropped).
    case individual = "A"
    /// B: a colluding collective. Every answer is wrong, with the same wrong output for a given
    /// input across the collective, so two colluders agree in a vote. Each colluder reports equal,
    /// full trust in the other colluders — tailored to the receiver: the colluders it knows (the
    /// strongest form, a collective that pools what it learns of who talks to whom; naming
    /// colluders the receiver does not know would only hand their trust back to its pre-trusted).
    case collective = "B"
    /// C: camouflage. Collective B, answering honestly on a share ``GridSimulation/Settings/camouflageHonesty``
    /// of the tasks. The collective decides per input (a keyed hash of it), so its members still
    /// agree on every task: all honest, or all with the same lie.
    case camouflage = "C"
    /// D: spies. A share ``GridSimulation/Settings/spyShare`` of the malicious nodes are honest
    /// providers (they earn trust) whose TrustReports give full trust to the liars the receiver
    /// knows; the liars are collective B.
    case spies = "D"

    /// Whether the liars give the same wrong output for a given input (so they agree in votes).
    var liarsAgree: Bool { self != .individual }
    /// Whether the liars report trust in one another.
    var liarsVouchForEachOther: Bool { self != .individual }
}

/// What a simulated node is.
enum SimRole: UInt8, Sendable {
    /// Provides honestly, requests tasks, reports its local trust.
    case honest
    /// Provides according to the threat model.
    case liar
    /// Model D: provides honestly, vouches for the liars, requests nothing.
    case spy

    var isMalicious: Bool { self != .honest }
}

/// Outputs as digests: 8 bytes of a keyed SplitMix64 finaliser, so the same (input, key) gives the
/// same digest in every process and different keys practically never collide.
enum SimDigest {
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    static func bytes(_ x: UInt64) -> [UInt8] {
        withUnsafeBytes(of: x.bigEndian) { Array($0) }
    }

    /// The correct output of task `input`.
    static func correct(_ input: UInt64) -> [UInt8] { bytes(mix(input)) }

    /// A wrong output of task `input` under `key` (a liar's own, or the collective's).
    static func wrong(_ input: UInt64, key: UInt64) -> [UInt8] { bytes(mix(mix(input) ^ key)) }

    /// A uniform number in 0..<1 from (input, key): the collective's coin for camouflage.
    static func unit(_ input: UInt64, key: UInt64) -> Double {
        Double(mix(input ^ key) >> 11) * 0x1p-53
    }
}
