/// An error a user can act on: a stable code for programs and a message that says what to do.
///
/// Modules add their own codes as static members of ``GridError/Code``.
public struct GridError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable, machine-readable error code such as `identity.exists`.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

extension GridError.Code {
    public static let invalidArgument = Self("invalid.argument")
    public static let invalidHex = Self("invalid.hex")
}
