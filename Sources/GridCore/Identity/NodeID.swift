/// A node's identity: its 32-byte Ed25519 public key. Printed as 64 lower-case hex digits.
public struct NodeID: FixedBytesIdentifier, Comparable {
    public static let byteCount = 32
    public static let kind = "node ID"

    public let bytes: [UInt8]

    public init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    /// The first 8 hex digits, for logs and tables.
    public var short: String { String(hex.prefix(8)) }

    public static func < (lhs: NodeID, rhs: NodeID) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }
}
