/// The four priority classes of queued work, lowest first.
///
/// A task carries a priority *level* (`TaskSpec.priority`, 0-255); the queue only distinguishes
/// its class: 0-63 low, 64-127 normal, 128-191 high, 192-255 critical.
public enum TaskPriority: Int, Sendable, Comparable, CaseIterable, Codable {
    case low, normal, high, critical

    /// The class a priority level (0-255) falls in: each class is a band of 64 levels.
    public init(level: UInt8) {
        // 256 levels / 4 classes: the top two bits are the class.
        self = TaskPriority(rawValue: Int(level >> 6))!
    }

    /// The class named `"low"`, `"normal"`, `"high"` or `"critical"` (exactly, lower case);
    /// nil for any other string.
    public init?(name: String) {
        guard let priority = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = priority
    }

    /// The lower-case name used in settings, logs and error messages.
    public var name: String {
        switch self {
        case .low: "low"
        case .normal: "normal"
        case .high: "high"
        case .critical: "critical"
        }
    }

    /// The level in the middle of the class's band, for a task submitted with a class but no level:
    /// low 32, normal 96 (``TaskSpec/defaultPriority``), high 160, critical 224.
    public var defaultLevel: UInt8 {
        UInt8(rawValue * 64 + 32)
    }

    /// The levels this class covers (low `0...63`, ..., critical `192...255`).
    public var levels: ClosedRange<UInt8> {
        UInt8(rawValue * 64)...UInt8(rawValue * 64 + 63)
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}
