/// The name of a kind of work, such as `sha256` or `image.resize`.
///
/// Names are 1 to 64 characters: a lower-case letter or digit, then lower-case letters, digits,
/// `.`, `_` or `-`. The rule keeps names safe in logs, file names and command lines.
public struct SkillID: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public static let maxLength = 64

    public let name: String

    public init(_ name: String) throws(GridError) {
        let utf8 = Array(name.utf8)
        guard let first = utf8.first, utf8.count <= Self.maxLength,
            Self.isLeading(first), utf8.allSatisfy(Self.isAllowed)
        else {
            throw GridError(
                .invalidSkill,
                "'\(name)' is not a valid skill name: use 1-\(Self.maxLength) characters, a lower-case letter or digit first, then a-z, 0-9, '.', '_' or '-'"
            )
        }
        self.name = name
    }

    public var description: String { name }

    public static func < (lhs: SkillID, rhs: SkillID) -> Bool { lhs.name < rhs.name }

    public init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        self = try SkillID(name)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }

    private static func isLeading(_ c: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c)
    }

    private static func isAllowed(_ c: UInt8) -> Bool {
        isLeading(c) || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
    }
}

extension GridError.Code {
    public static let invalidSkill = Self("skill.invalid")
}
