import GridCore
import NIOCore
import NIOEmbedded
import Testing

@testable import GridNode

/// The delay fault on an embedded channel, with the event loop's time moved by hand.
@Suite struct FaultDelayHandlerTests {
    func channel(_ faults: FaultSwitch) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(FaultDelayHandler(faults: faults))
        return channel
    }

    func written(_ channel: EmbeddedChannel) throws -> [String] {
        var out: [String] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { out.append(String(buffer: buffer)) }
        return out
    }

    @Test func healthyBytesPassStraightThrough() throws {
        let channel = try channel(FaultSwitch(allowed: true))
        try channel.writeOutbound(ByteBuffer(string: "a"))
        #expect(try written(channel) == ["a"])
    }

    @Test func delayedBytesGoOutAfterTheDelayInTheirOrder() throws {
        let faults = FaultSwitch(allowed: true)
        try faults.set(FaultPlan(delayMs: 50))
        let channel = try channel(faults)
        channel.writeAndFlush(ByteBuffer(string: "a"), promise: nil)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(10))
        // Healed meanwhile: a later write still may not overtake the one held back.
        try faults.set(.none)
        channel.writeAndFlush(ByteBuffer(string: "b"), promise: nil)
        #expect(try written(channel) == [])
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(39))
        #expect(try written(channel) == [])
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(try written(channel) == ["a"])
        channel.embeddedEventLoop.advanceTime(by: .nanoseconds(1))  // each write at least 1 ns after the one before
        #expect(try written(channel) == ["b"])
        channel.writeAndFlush(ByteBuffer(string: "c"), promise: nil)
        #expect(try written(channel) == ["c"])
    }

    @Test func aNodeWithoutAllowFaultsRefusesAPlan() {
        let faults = FaultSwitch(allowed: false)
        #expect(throws: GridError.self) { try faults.set(FaultPlan(delayMs: 50)) }
        #expect(faults.current == .none && faults.frameDelay() == .zero && !faults.dropsIncoming())
    }
}
