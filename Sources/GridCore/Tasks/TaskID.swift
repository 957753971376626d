/// A task's identity: 16 bytes chosen by the node that accepted the task from an application.
/// Printed as 32 lower-case hex digits.
public struct TaskID: Hashable, Sendable, CustomStringConvertible {
    public static let byteCount = 16

    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws(GridError) {
        guard bytes.count == Self.byteCount else {
            throw GridError(
                .invalidArgument,
                "a task ID is \(Self.byteCount) bytes (\(Self.byteCount * 2) hex digits); got \(bytes.count) bytes")
        }
        self.bytes = bytes
    }

    public init(hex: String) throws(GridError) {
        try self.init(bytes: Hex.decode(hex))
    }

    /// A fresh ID from the given generator (the shell passes a system or seeded one).
    public static func random(using rng: inout some RandomNumberGenerator) -> TaskID {
        var bytes = [UInt8](repeating: 0, count: byteCount)
        for index in stride(from: 0, to: byteCount, by: 8) {
            withUnsafeBytes(of: rng.next() as UInt64) { word in
                for offset in 0..<8 { bytes[index + offset] = word[offset] }
            }
        }
        return try! TaskID(bytes: bytes)  // exactly byteCount bytes by construction
    }

    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }
}
