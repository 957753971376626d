import Foundation
import GridCore
import GridWire
import Testing

/// A frame carries one thing once: protobuf would let the last of two win, and the first vanish.
@Suite struct SingleFieldRuleTests {
    static let envelope = Grid_V1_SignedEnvelope.with {
        $0.author = Data(repeating: 1, count: 32)
        $0.payloadType = "grid.v1.TaskRequest"
        $0.payload = Data([0x0A, 0x01, 0x00])
        $0.timestampMs = 1_790_000_000_000
        $0.nonce = Data(repeating: 2, count: 16)
        $0.signature = Data(repeating: 3, count: 64)
    }

    static func bytes(_ frame: Grid_V1_Frame) throws -> [UInt8] { try frame.serializedBytes() }

    @Test func aFrameWithTwoEnvelopesIsNotAFrame() throws {
        let one = try Self.bytes(.with { $0.envelope = Self.envelope })
        #expect(try PlainFrame.parse(one).envelope == Self.envelope)
        let error = #expect(throws: GridError.self) { try PlainFrame.parse(one + one) }
        #expect(error?.code == .frameMalformed)
        #expect(error?.message.contains("field 3 of the Frame appears more than once") == true)
    }

    @Test func aFrameWithTwoKindsOfBodyIsNotAFrame() throws {
        let ping = try Self.bytes(.with { $0.ping = .with { $0.nonce = 7 } })
        let envelope = try Self.bytes(.with { $0.envelope = Self.envelope })
        let error = #expect(throws: GridError.self) { try PlainFrame.parse(ping + envelope) }
        #expect(error?.message.contains("holds 2 of its body fields (5, 3)") == true)
    }

    @Test func anEnvelopeWithARepeatedFieldIsNotAFrame() throws {
        var inner: [UInt8] = try Self.envelope.serializedBytes()
        inner += [0x1A, 0x01, 0x00]  // payload (field 3, length-delimited) once more
        let frame: [UInt8] = [0x1A] + Self.varint(inner.count) + inner
        let error = #expect(throws: GridError.self) { try PlainFrame.parse(frame) }
        #expect(error?.message.contains("field 3 of the SignedEnvelope appears more than once") == true)
    }

    @Test func anUnknownFieldBesideTheBodyIsKeptForLaterVersions() throws {
        let ping = try Self.bytes(.with { $0.ping = .with { $0.nonce = 7 } })
        let frame = try PlainFrame.parse(ping + [0xA0, 0x06, 0x01])  // field 100, varint 1
        #expect(frame.ping.nonce == 7)
    }

    @Test func aStringFieldThatIsNotUTF8IsNotAFrame() throws {
        var error: [UInt8] = try Self.bytes(.with { $0.error = .with { $0.code = .malformed; $0.message = "ab" } })
        let at = try #require(error.lastIndex(of: UInt8(ascii: "a")))
        error[at] = 0xFF
        #expect(throws: GridError.self) { try PlainFrame.parse(error) }
    }

    static func varint(_ value: Int) -> [UInt8] {
        var value = UInt64(value)
        var out: [UInt8] = []
        while value >= 0x80 {
            out.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        return out + [UInt8(value)]
    }
}
