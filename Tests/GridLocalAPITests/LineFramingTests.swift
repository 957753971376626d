import Foundation
import GridCore
import GridLocalAPI
import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing

@Suite struct LineFramingTests {
    @Test func splitsLinesWhateverWayTheBytesArrive() throws {
        let input = ByteBuffer(string: "{\"a\":1}\n\r\nsecond line\r\n\n")
        let expected = [ByteBuffer(string: "{\"a\":1}"), ByteBuffer(), ByteBuffer(string: "second line"), ByteBuffer()]
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: [(input, expected)], decoderFactory: { LineFrameDecoder(maxLineBytes: 64) })
    }

    @Test func refusesALineOverTheLimitBeforeItEnds() throws {
        var decoder = LineFrameDecoder(maxLineBytes: 8)
        var buffer = ByteBuffer(string: "123456789")  // no newline yet, already too long
        let error = #expect(throws: GridError.self) { try decoder.nextLine(from: &buffer) }
        #expect(error?.code == .lineTooLong)
    }

    @Test func aLastLineWithoutNewlineStillCountsAtClose() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(LineFrameDecoder(maxLineBytes: 64)))
        try channel.writeInbound(ByteBuffer(string: "first\nlast"))
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(string: "first"))
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil)
        _ = try channel.finish()
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(string: "last"))
    }

    @Test func acceptsALineExactlyAtTheLimit() throws {
        var decoder = LineFrameDecoder(maxLineBytes: 8)
        var buffer = ByteBuffer(string: "12345678\n")
        #expect(try decoder.nextLine(from: &buffer) == ByteBuffer(string: "12345678"))
    }
}

@Suite struct JSONRPCTests {
    @Test func requestIDsAreNumbersOrStrings() throws {
        let decoder = JSONDecoder()
        #expect(try decoder.decode(RPCRequestHead.self, from: Data(#"{"jsonrpc":"2.0","id":7,"method":"node.info"}"#.utf8)).id == .number(7))
        #expect(try decoder.decode(RPCRequestHead.self, from: Data(#"{"jsonrpc":"2.0","id":"x","method":"a"}"#.utf8)).id == .string("x"))
        #expect(try decoder.decode(RPCRequestHead.self, from: Data(#"{"jsonrpc":"2.0","method":"a"}"#.utf8)).id == nil)
    }

    @Test func errorResponsesRoundTrip() throws {
        let response = RPCResponse<TaskView>(
            id: .number(1), error: RPCError(code: RPCError.taskFailed, message: "boom", data: .init(taskId: "ab", reason: "skill_failed")))
        let decoded = try JSONDecoder().decode(RPCResponse<TaskView>.self, from: JSONEncoder().encode(response))
        #expect(decoded.error == response.error)
        #expect(decoded.result == nil)
    }
}
