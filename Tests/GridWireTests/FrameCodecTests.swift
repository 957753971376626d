import GridCore
import GridWire
import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing

@Suite struct FrameCodecTests {
    func frame(_ text: String) -> Grid_V1_Frame {
        var error = Grid_V1_Error()
        error.code = .malformed
        error.message = text
        return .with { $0.error = error }
    }

    func encoded(_ frames: [Grid_V1_Frame], max: Int = 1024) throws -> ByteBuffer {
        var buffer = ByteBuffer()
        for frame in frames { try FrameEncoder.encodeFrame(frame, into: &buffer, maxFrameBytes: max) }
        return buffer
    }

    @Test func decodesWhateverWayTheBytesArrive() throws {
        let frames = [frame("a"), frame(String(repeating: "b", count: 300)), frame("")]
        let input = try encoded(frames)
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: [(input, frames)], decoderFactory: { FrameDecoder(maxFrameBytes: 1024) })
    }

    @Test func zeroLengthIsRefused() throws {
        var buffer = ByteBuffer(bytes: [0, 0, 0, 0])
        let error = #expect(throws: GridError.self) { try FrameDecoder.decodeFrame(from: &buffer, maxFrameBytes: 1024) }
        #expect(error?.code == .frameEmpty)
    }

    @Test func oversizedLengthIsRefusedBeforeTheBodyArrives() throws {
        var buffer = ByteBuffer(bytes: [0, 0, 4, 1])  // 1025, and no body at all
        let error = #expect(throws: GridError.self) { try FrameDecoder.decodeFrame(from: &buffer, maxFrameBytes: 1024) }
        #expect(error?.code == .frameTooLarge)
        #expect(error?.message.contains("1025") == true)
        var huge = ByteBuffer(bytes: [0xff, 0xff, 0xff, 0xff])
        #expect(throws: GridError.self) { try FrameDecoder.decodeFrame(from: &huge, maxFrameBytes: 1024) }
    }

    @Test func incompleteFrameWaitsWithoutConsuming() throws {
        var buffer = try encoded([frame("hello")])
        buffer.moveWriterIndex(to: buffer.writerIndex - 1)
        let before = buffer.readerIndex
        #expect(try FrameDecoder.decodeFrame(from: &buffer, maxFrameBytes: 1024) == nil)
        #expect(buffer.readerIndex == before)
    }

    @Test func truncatedFrameAtCloseIsAnError() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder(maxFrameBytes: 1024)))
        var buffer = try encoded([frame("hello")])
        buffer.moveWriterIndex(to: buffer.writerIndex - 2)
        try channel.writeInbound(buffer)
        #expect(throws: (any Error).self) { try channel.finish() }
    }

    @Test func garbageBodyIsMalformed() throws {
        var buffer = ByteBuffer(bytes: [0, 0, 0, 3, 0xff, 0xff, 0xff])
        let error = #expect(throws: GridError.self) { try FrameDecoder.decodeFrame(from: &buffer, maxFrameBytes: 1024) }
        #expect(error?.code == .frameMalformed)
    }

    @Test func encoderRefusesFramesAboveTheLimit() throws {
        #expect(throws: GridError.self) { try encoded([frame(String(repeating: "x", count: 2000))], max: 1024) }
    }
}
