/// Exponential decay without Foundation (GridCore imports nothing): `2^-(elapsed / halfLife)`.
public enum Decay {
    /// The factor a quantity keeps after `elapsed` when it halves every `halfLife`: 1 at zero,
    /// ½ after one half-life, towards 0 after many. A zero or negative `elapsed` keeps everything.
    public static func factor(elapsed: Duration, halfLife: Duration) -> Double {
        guard elapsed > .zero else { return 1 }
        guard halfLife > .zero else { return 0 }
        return exp2(-(elapsed / halfLife))
    }

    /// 2^x for x ≤ 0 (and a little above), accurate to about 1e-15 relative.
    static func exp2(_ x: Double) -> Double {
        guard x.isFinite else { return x > 0 ? .infinity : 0 }
        if x < -1074 { return 0 }
        let whole = x.rounded(.down)
        let fraction = x - whole  // 0 ..< 1
        // e^(fraction · ln 2) by its series: |fraction · ln 2| < 0.7, so 20 terms are plenty.
        let y = fraction * 0.693_147_180_559_945_309_4
        var term = 1.0
        var sum = 1.0
        for n in 1...20 {
            term *= y / Double(n)
            sum += term
        }
        let exponent = Int(whole)
        // Scale in two steps so neither factor underflows before the product does.
        let half = exponent / 2
        return sum * Double(sign: .plus, exponent: half, significand: 1) * Double(sign: .plus, exponent: exponent - half, significand: 1)
    }
}
