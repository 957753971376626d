/// A node's identity: its 32-byte Ed25519 public key. Printed as 64 lower-case hex digits.
public struct NodeID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public static let byteCount = 32

    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws(GridError) {
        guard bytes.count == Self.byteCount else {
            throw GridError(
                .invalidArgument,
                "a node ID is \(Self.byteCount) bytes (\(Self.byteCount * 2) hex digits); got \(bytes.count) bytes")
        }
        self.bytes = bytes
    }

    public init(hex: String) throws(GridError) {
        try self.init(bytes: Hex.decode(hex))
    }

    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }
    /// The first 8 hex digits, for logs and tables.
    public var short: String { String(hex.prefix(8)) }

    public static func < (lhs: NodeID, rhs: NodeID) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }
}
