/// Bounds on what a peer may send, enforced before any expensive work.
public struct WireLimits: Sendable, Equatable, Codable {
    /// Largest frame body accepted or sent, in bytes. Default 4 MiB.
    public var maxFrameBytes: Int
    /// Largest task input or output carried in one message, in bytes. Default 1 MiB.
    public var maxTaskBytes: Int

    public static let `default` = WireLimits(maxFrameBytes: 4 << 20, maxTaskBytes: 1 << 20)

    public init(maxFrameBytes: Int, maxTaskBytes: Int) {
        self.maxFrameBytes = maxFrameBytes
        self.maxTaskBytes = maxTaskBytes
    }
}
