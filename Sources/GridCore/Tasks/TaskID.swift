/// A task's identity: 16 bytes chosen by the node that accepted the task from an application.
/// Printed as 32 lower-case hex digits.
public struct TaskID: FixedBytesIdentifier {
    public static let byteCount = 16
    public static let kind = "task ID"

    public let bytes: [UInt8]

    public init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    /// A fresh ID from the given generator (the shell passes a system or seeded one).
    public static func random(using rng: inout some RandomNumberGenerator) -> TaskID {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(byteCount)
        while bytes.count < byteCount {
            withUnsafeBytes(of: rng.next() as UInt64) { bytes += $0.prefix(byteCount - bytes.count) }
        }
        return TaskID(unchecked: bytes)
    }
}
