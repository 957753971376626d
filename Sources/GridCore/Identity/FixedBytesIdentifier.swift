/// An identifier that is exactly `byteCount` bytes, printed as lower-case hex.
public protocol FixedBytesIdentifier: Hashable, Sendable, CustomStringConvertible {
    static var byteCount: Int { get }
    /// What the identifier names, for error messages ("node ID", "task ID").
    static var kind: String { get }
    var bytes: [UInt8] { get }
    /// Wraps `bytes`, already checked to be `byteCount` long.
    init(unchecked bytes: [UInt8])
}

extension FixedBytesIdentifier {
    public init(bytes: [UInt8]) throws(GridError) {
        guard bytes.count == Self.byteCount else {
            throw GridError(
                .invalidArgument,
                "a \(Self.kind) is \(Self.byteCount) bytes (\(Self.byteCount * 2) hex digits); got \(bytes.count) bytes")
        }
        self.init(unchecked: bytes)
    }

    public init(hex: String) throws(GridError) {
        try self.init(bytes: Hex.decode(hex))
    }

    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }

    /// The bytes in one go: identifiers key the hot dictionaries (registry, experience, trust),
    /// and hashing byte by byte, as `[UInt8]` does, costs several times more.
    public func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.bytes == rhs.bytes
    }
}
