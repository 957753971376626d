import GridCore
import GridWire
import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing

@Suite struct FrameCodecTests {
    func frame(_ text: String) -> Grid_V1_Frame {
        .with { $0.error = .with { $0.code = .malformed; $0.message = text } }
    }

    @Test func decodesWhateverWayTheBytesArrive() throws {
        let bodies = try ["a", String(repeating: "b", count: 300), ""].map { text in
            ByteBuffer(bytes: try PlainFrame.encode(frame(text), maxFrameBytes: 1024).dropFirst(4))
        }
        var input = ByteBuffer()
        for body in bodies {
            input.writeInteger(UInt32(body.readableBytes))
            input.writeImmutableBuffer(body)
        }
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: [(input, bodies)], decoderFactory: { RawFrameDecoder(maxFrameBytes: 1024) })
    }

    @Test func plainFramesRoundTrip() throws {
        var buffer = ByteBuffer(bytes: try PlainFrame.encode(frame("hi"), maxFrameBytes: 1024))
        let body = try #require(try RawFrameDecoder.nextBody(from: &buffer, maxBodyBytes: 1040))
        #expect(try PlainFrame.parse(body.readableBytesView) == frame("hi"))
        #expect(buffer.readableBytes == 0)
    }

    @Test func zeroLengthIsRefused() throws {
        var buffer = ByteBuffer(bytes: [0, 0, 0, 0])
        let error = #expect(throws: GridError.self) { try RawFrameDecoder.nextBody(from: &buffer, maxBodyBytes: 1024) }
        #expect(error?.code == .frameEmpty)
    }

    @Test func oversizedLengthIsRefusedBeforeTheBodyArrives() throws {
        var buffer = ByteBuffer(bytes: [0, 0, 4, 1])  // 1025, and no body at all
        let error = #expect(throws: GridError.self) { try RawFrameDecoder.nextBody(from: &buffer, maxBodyBytes: 1024) }
        #expect(error?.code == .frameTooLarge)
        #expect(error?.message.contains("1025") == true)
        var huge = ByteBuffer(bytes: [0xff, 0xff, 0xff, 0xff])
        #expect(throws: GridError.self) { try RawFrameDecoder.nextBody(from: &huge, maxBodyBytes: 1024) }
    }

    @Test func theDecoderLimitLeavesRoomForTheTag() {
        #expect(RawFrameDecoder(maxFrameBytes: 1000).maxBodyBytes == 1016)
    }

    @Test func incompleteFrameWaitsWithoutConsuming() throws {
        var buffer = ByteBuffer(bytes: try PlainFrame.encode(frame("hello"), maxFrameBytes: 1024).dropLast())
        let before = buffer.readerIndex
        #expect(try RawFrameDecoder.nextBody(from: &buffer, maxBodyBytes: 1024) == nil)
        #expect(buffer.readerIndex == before)
    }

    @Test func truncatedFrameAtCloseIsAnError() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(RawFrameDecoder(maxFrameBytes: 1024)))
        try channel.writeInbound(ByteBuffer(bytes: try PlainFrame.encode(frame("hello"), maxFrameBytes: 1024).dropLast(2)))
        #expect(throws: (any Error).self) { try channel.finish() }
    }

    @Test func garbageBodyIsMalformed() throws {
        let error = #expect(throws: GridError.self) { try PlainFrame.parse([0xff, 0xff, 0xff]) }
        #expect(error?.code == .frameMalformed)
    }

    @Test func encoderRefusesFramesAboveTheLimit() throws {
        #expect(throws: GridError.self) { try PlainFrame.encode(frame(String(repeating: "x", count: 2000)), maxFrameBytes: 1024) }
    }
}
