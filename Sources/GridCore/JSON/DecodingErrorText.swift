/// A `DecodingError` from a JSON document, told in the document's terms: which key, what it
/// must be, what it is — never a Swift type name (`Int`, `Dictionary<String, Any>`).
public enum DecodingErrorText {
    /// What is wrong, e.g. `'maxQueuedTasks' must be a whole number, not a string`. `bytes` is the
    /// document that failed to decode.
    public static func describe(_ error: any Error, in bytes: [UInt8]) -> String {
        if let problem = JSONText.problem(in: bytes) { return problem.message }
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "'\(path(context.codingPath + [key]))' is missing"
        case DecodingError.typeMismatch(let type, let context):
            let at = path(context.codingPath)
            let given = JSONText.kind(at: at, in: bytes).map { ", not \($0)" } ?? ""
            return at.isEmpty ? "the document must be \(expected(type))\(given)" : "'\(at)' must be \(expected(type))\(given)"
        case DecodingError.valueNotFound(let type, let context):
            return "'\(path(context.codingPath))' is null; give \(expected(type)), or leave the key out"
        case DecodingError.dataCorrupted(let context) where !context.codingPath.isEmpty:
            return "'\(path(context.codingPath))' is not valid: \(context.debugDescription)"
        default:
            // Foundation reports a number that does not fit the field (4.5 or 1e20 for an integer)
            // as invalid JSON, without the key: find the numbers that cannot be whole.
            let suspects = JSONText.nonIntegerNumbers(in: bytes)
            if let first = suspects.first {
                let others = suspects.dropFirst().map { "'\($0.path)'" }
                return "'\(first.path)' is \(first.text), where a whole number from -9223372036854775808 to 9223372036854775807 is expected"
                    + (others.isEmpty ? "" : " (so may \(others.joined(separator: ", ")))")
            }
            return "the document could not be read"
        }
    }

    /// `a.b[2].c` for a coding path.
    public static func path(_ keys: [any CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let position = key.intValue, key.stringValue.hasPrefix("Index ") || key.stringValue == "\(position)" {
                text += "[\(position)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text
    }

    /// What a value of `type` is, in JSON's words.
    public static func expected(_ type: Any.Type) -> String {
        let name = String(describing: type)
        if name.hasPrefix("Array") || name.hasPrefix("[") { return "a list" }
        if name.hasPrefix("Dictionary") { return "an object" }
        if name.contains("Int") { return "a whole number" }
        if name.contains("Double") || name.contains("Float") { return "a number" }
        if name.contains("String") { return "a string" }
        if name.contains("Bool") { return "true or false" }
        return "a value of another kind"
    }
}
