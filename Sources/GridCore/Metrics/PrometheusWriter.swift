/// Writes lines of the Prometheus text exposition format 0.0.4: a family's `# HELP` and `# TYPE`
/// lines, then its samples as `name{label="value",...} value`, each line ending in a line feed.
struct PrometheusWriter {
    private(set) var text = ""

    enum MetricType: String {
        case counter, gauge, summary
    }

    /// Starts a family; its samples must follow before the next family starts.
    mutating func family(_ name: String, _ type: MetricType, help: String) {
        text += "# HELP \(name) \(Self.escapeHelp(help))\n"
        text += "# TYPE \(name) \(type.rawValue)\n"
    }

    mutating func sample(_ name: String, _ labels: [(String, String)], _ value: String) {
        text += name
        if !labels.isEmpty {
            text += "{"
            text += labels.map { "\($0.0)=\"\(Self.escapeLabelValue($0.1))\"" }.joined(separator: ",")
            text += "}"
        }
        text += " \(value)\n"
    }

    mutating func sample(_ name: String, _ labels: [(String, String)], _ value: some BinaryInteger) {
        sample(name, labels, String(value))
    }

    mutating func sample(_ name: String, _ value: String) {
        sample(name, [], value)
    }

    mutating func sample(_ name: String, _ value: some BinaryInteger) {
        sample(name, [], String(value))
    }

    /// A label value as the format wants it: backslash, double quote and line feed escaped as
    /// `\\`, `\"` and `\n`.
    static func escapeLabelValue(_ value: String) -> String {
        var out = ""
        for character in value.unicodeScalars {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// Help text as the format wants it: backslash and line feed escaped as `\\` and `\n`.
    static func escapeHelp(_ help: String) -> String {
        var out = ""
        for character in help.unicodeScalars {
            switch character {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// A floating-point value as Prometheus parses it (`NaN`, `+Inf` and `-Inf` spelled its way).
    static func value(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        return value.description
    }

    /// `units` divided by 10^`fractionDigits`, written exactly in decimal with no trailing zeros:
    /// `decimal(1_500, fractionDigits: 6)` is `0.0015`, `decimal(2_000_000, fractionDigits: 6)` is `2`.
    static func decimal(_ units: UInt64, fractionDigits: Int) -> String {
        var scale: UInt64 = 1
        for _ in 0..<fractionDigits { scale *= 10 }
        let whole = units / scale
        let fraction = units % scale
        guard fraction > 0 else { return String(whole) }
        var digits = String(fraction)
        digits = String(repeating: "0", count: fractionDigits - digits.count) + digits
        while digits.last == "0" { digits.removeLast() }
        return "\(whole).\(digits)"
    }

    /// Microseconds as seconds, exactly.
    static func seconds(microseconds: UInt64) -> String {
        decimal(microseconds, fractionDigits: 6)
    }
}
