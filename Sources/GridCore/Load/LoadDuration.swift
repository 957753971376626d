/// Reads the durations `gridnode load` takes: a number with a unit, `500ms`, `30s`, `2m`, `1h`, or
/// a plain number of seconds (`30`, `1.5`).
public enum LoadDuration {
    /// The longest run accepted: 24 hours.
    public static let maximum = Duration.seconds(86_400)

    /// `text` as a duration, greater than zero and at most ``maximum``, to the nanosecond.
    public static func parse(_ text: String) throws(GridError) -> Duration {
        let units: [(suffix: String, nanoseconds: Double)] = [("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3_600e9)]
        let unit = units.first { text.hasSuffix($0.suffix) } ?? ("", 1e9)
        let number = text.dropLast(unit.suffix.count)
        // Double(_:) also reads "inf", "nan", "1e3" and hex; only plain decimals are wanted here.
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
            number.filter({ $0 == "." }).count <= 1, number != ".", let value = Double(number)
        else {
            throw GridError(
                .invalidArgument,
                "'\(text.prefix(40))' is not a duration; give a number with ms, s, m or h (500ms, 30s, 2m) or a plain number of seconds")
        }
        let nanoseconds = (value * unit.nanoseconds).rounded()
        guard nanoseconds >= 1 else { throw GridError(.invalidArgument, "the duration '\(text.prefix(40))' is zero; give more than 0") }
        guard nanoseconds <= Double(maximum.components.seconds) * 1e9 else {
            throw GridError(.invalidArgument, "the duration '\(text.prefix(40))' is over 24h, the longest run; give less")
        }
        return .nanoseconds(Int64(nanoseconds))
    }
}
