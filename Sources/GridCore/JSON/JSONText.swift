/// A JSON document read for what a decoder does not say: where its syntax breaks (line and
/// column), a key given twice in one object (decoders keep one of the two silently), the keys
/// whose value is `null`, and the numbers that are not whole numbers a 64-bit integer can hold
/// (Foundation's decoder reports those as "not valid JSON", without saying where). Pure; bounded
/// by ``maxDepth``.
public enum JSONText {
    /// Deepest nesting read; deeper documents are refused (a decoder's recursion is bounded too).
    public static let maxDepth = 128

    public struct Problem: Error, Equatable, Sendable, CustomStringConvertible {
        public enum Kind: Sendable, Equatable {
            /// Not JSON at all.
            case syntax
            /// An object holds the same key twice.
            case duplicateKey(path: String)
        }
        public var kind: Kind
        public var message: String
        public var description: String { message }
    }

    /// What is wrong with `bytes` as JSON, or nil when it is a valid document without duplicate keys.
    public static func problem(in bytes: [UInt8]) -> Problem? {
        var reader = Reader(bytes: bytes)
        do {
            try reader.document()
            return nil
        } catch {
            return error
        }
    }

    /// The paths of keys whose value is `null` (as `a.b`, `a[2].c`), in document order.
    public static func nullPaths(in bytes: [UInt8]) -> [String] {
        var reader = Reader(bytes: bytes)
        try? reader.document()
        return reader.nulls
    }

    /// The numbers that are not whole numbers from -2^63 to 2^63 − 1, as (path, text), in document order.
    public static func nonIntegerNumbers(in bytes: [UInt8]) -> [(path: String, text: String)] {
        var reader = Reader(bytes: bytes)
        try? reader.document()
        return reader.unwholeNumbers
    }

    /// What kind of value is at `path` ("a string", "a number", "an object", "an empty object",
    /// "a list", "true", "false", "null"), or nil when there is none.
    public static func kind(at path: String, in bytes: [UInt8]) -> String? {
        var reader = Reader(bytes: bytes)
        reader.wanted = path
        try? reader.document()
        return reader.wantedKind
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0
        var nulls: [String] = []
        var unwholeNumbers: [(path: String, text: String)] = []
        var wanted: String?
        var wantedKind: String?

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func document() throws(Problem) {
            skipSpace()
            try value(path: "", depth: 0)
            skipSpace()
            if index < bytes.count { throw fail("text after the end of the JSON value") }
        }

        private func fail(_ what: String) -> Problem {
            var line = 1
            var column = 1
            for byte in bytes[..<min(index, bytes.count)] {
                if byte == UInt8(ascii: "\n") {
                    line += 1
                    column = 1
                } else if byte & 0xC0 != 0x80 {
                    column += 1
                }
            }
            return Problem(kind: .syntax, message: "not valid JSON at line \(line), column \(column): \(what)")
        }

        private mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        private mutating func note(_ kind: String, at path: String) {
            if path == wanted { wantedKind = kind }
        }

        private mutating func value(path: String, depth: Int) throws(Problem) {
            guard depth < maxDepth else { throw fail("nested deeper than \(maxDepth) levels") }
            guard index < bytes.count else { throw fail("the text ends where a value should be") }
            switch bytes[index] {
            case UInt8(ascii: "{"):
                note("an object", at: path)
                try object(path: path, depth: depth)
            case UInt8(ascii: "["):
                note("a list", at: path)
                try array(path: path, depth: depth)
            case UInt8(ascii: "\""):
                note("a string", at: path)
                _ = try string()
            case UInt8(ascii: "t"):
                note("true", at: path)
                try literal("true")
            case UInt8(ascii: "f"):
                note("false", at: path)
                try literal("false")
            case UInt8(ascii: "n"):
                note("null", at: path)
                try literal("null")
                if !path.isEmpty { nulls.append(path) }
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                note("a number", at: path)
                try number(path: path)
            default:
                throw fail("unexpected character '\(Self.show(bytes[index]))'")
            }
        }

        private mutating func object(path: String, depth: Int) throws(Problem) {
            index += 1
            var keys: Set<String> = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                note("an empty object", at: path)
                return
            }
            while true {
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a key in double quotes") }
                let keyStart = index
                let key = try string()
                let child = path.isEmpty ? key : "\(path).\(key)"
                guard keys.insert(key).inserted else {
                    index = keyStart
                    var problem = fail("")
                    problem.kind = .duplicateKey(path: child)
                    let place = problem.message.dropFirst("not valid JSON ".count).dropLast(2)
                    problem.message = "the key '\(child)' appears twice (\(place)); give each key once"
                    throw problem
                }
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':' after the key '\(key)'") }
                index += 1
                skipSpace()
                try value(path: child, depth: depth + 1)
                skipSpace()
                guard index < bytes.count else { throw fail("the text ends inside an object: a '}' is missing") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard bytes[index] == UInt8(ascii: "}") else { throw fail("expected ',' or '}'") }
                index += 1
                return
            }
        }

        private mutating func array(path: String, depth: Int) throws(Problem) {
            index += 1
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return
            }
            var position = 0
            while true {
                skipSpace()
                try value(path: "\(path)[\(position)]", depth: depth + 1)
                position += 1
                skipSpace()
                guard index < bytes.count else { throw fail("the text ends inside a list: a ']' is missing") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard bytes[index] == UInt8(ascii: "]") else { throw fail("expected ',' or ']'") }
                index += 1
                return
            }
        }

        /// A string's text (escapes resolved as far as a key's comparison needs).
        private mutating func string() throws(Problem) -> String {
            index += 1
            var scalars: [UInt8] = []
            while index < bytes.count {
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    return String(decoding: scalars, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard index + 1 < bytes.count else { throw fail("the text ends inside a string") }
                    let escaped = bytes[index + 1]
                    switch escaped {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalars.append(escaped)
                    case UInt8(ascii: "b"): scalars.append(0x08)
                    case UInt8(ascii: "f"): scalars.append(0x0C)
                    case UInt8(ascii: "n"): scalars.append(0x0A)
                    case UInt8(ascii: "r"): scalars.append(0x0D)
                    case UInt8(ascii: "t"): scalars.append(0x09)
                    case UInt8(ascii: "u"):
                        guard index + 5 < bytes.count, bytes[(index + 2)...(index + 5)].allSatisfy(Self.isHex) else {
                            throw fail("\\u must be followed by 4 hex digits")
                        }
                        let code = bytes[(index + 2)...(index + 5)].reduce(0) { $0 * 16 + UInt32(Self.hexValue($1)) }
                        scalars += Array(String(Character(Unicode.Scalar(code) ?? "\u{FFFD}")).utf8)
                        index += 4
                    default: throw fail("unknown escape '\\\(Self.show(escaped))' in a string")
                    }
                    index += 2
                case 0x00..<0x20:
                    throw fail("a control character inside a string: escape it (\\n, \\t, \\u00XX)")
                default:
                    scalars.append(byte)
                    index += 1
                }
            }
            throw fail("the text ends inside a string: a closing '\"' is missing")
        }

        private mutating func literal(_ word: String) throws(Problem) {
            let expected = Array(word.utf8)
            guard index + expected.count <= bytes.count, Array(bytes[index..<(index + expected.count)]) == expected else {
                throw fail("unexpected word: JSON knows true, false and null")
            }
            index += expected.count
        }

        private mutating func number(path: String) throws(Problem) {
            let start = index
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, Self.isDigit(bytes[index]) else { throw fail("a '-' must be followed by a digit") }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
                if index < bytes.count, Self.isDigit(bytes[index]) { throw fail("a number may not start with 0") }
            } else {
                while index < bytes.count, Self.isDigit(bytes[index]) { index += 1 }
            }
            var whole = true
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard index < bytes.count, Self.isDigit(bytes[index]) else { throw fail("a '.' in a number must be followed by a digit") }
                while index < bytes.count, Self.isDigit(bytes[index]) { index += 1 }
                whole = false
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard index < bytes.count, Self.isDigit(bytes[index]) else { throw fail("an exponent in a number needs digits") }
                while index < bytes.count, Self.isDigit(bytes[index]) { index += 1 }
                whole = false
            }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            if !whole || Int64(text) == nil {
                // 1e2 and 100.0 are whole to a decoder; 4.5, 1e20 and 2^63 are not.
                if let value = Double(text), value.rounded() == value, abs(value) < 9.2e18 { return }
                unwholeNumbers.append((path, text))
            }
        }

        private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
        private static func isHex(_ byte: UInt8) -> Bool { hexValue(byte) < 16 }
        private static func hexValue(_ byte: UInt8) -> UInt8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            default: 16
            }
        }
        private static func show(_ byte: UInt8) -> String {
            (0x21...0x7E).contains(byte) ? String(UnicodeScalar(byte)) : "0x" + String(byte, radix: 16)
        }
    }
}
