import GridCore

extension GridError.Code {
    public static let frameTooLarge = Self("wire.frame_too_large")
    public static let frameEmpty = Self("wire.frame_empty")
    public static let frameMalformed = Self("wire.frame_malformed")
    public static let envelopeMalformed = Self("wire.envelope_malformed")
    public static let badSignature = Self("wire.bad_signature")
    public static let unexpectedPayload = Self("wire.unexpected_payload")
    public static let handshakeFailed = Self("wire.handshake_failed")
}
