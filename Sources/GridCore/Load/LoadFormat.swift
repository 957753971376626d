/// Numbers as `gridnode load` prints them, with no locale: `1,234`, `102.3`, `1.21 ms`.
public enum LoadFormat {
    /// `1234567` as `1,234,567`.
    public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, digit) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return (value < 0 ? "-" : "") + out
    }

    /// `value` rounded to `digits` decimals (half away from zero), its whole part grouped.
    public static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "-" }
        var scale: Int64 = 1
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int64((value.magnitude * Double(scale)).rounded())
        let fraction = String(scaled % scale)
        let decimals = digits > 0 ? "." + String(repeating: "0", count: digits - fraction.count) + fraction : ""
        return (value < 0 && scaled > 0 ? "-" : "") + grouped(Int(scaled / scale)) + decimals
    }

    /// A latency: `850 µs` under a millisecond, `1.21 ms` under a second, else `2.50 s`.
    public static func latency(microseconds: UInt64) -> String {
        if microseconds < 1_000 { return "\(microseconds) µs" }
        if microseconds < 1_000_000 { return fixed(Double(microseconds) / 1e3, 2) + " ms" }
        return fixed(Double(microseconds) / 1e6, 2) + " s"
    }

    /// Seconds with at most three decimals and no trailing zeros: `3`, `0.5`, `1.25`.
    public static func seconds(_ value: Double) -> String {
        var text = fixed(value, 3)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}
