// A small driver for attributing the wire path's cost with callgrind or perf (not a benchmark:
// `swift package benchmark` runs only the targets under Benchmarks/). It repeats one operation of
// the WireBenchmarks suite N times:
//
//     swift build -c release --product WireProfile
//     objcopy --strip-debug .build/release/WireProfile /tmp/WireProfile  # valgrind 3.19 cannot read DWARF 5
//     valgrind --tool=callgrind /tmp/WireProfile encode 600
//
// Operations: sign, verify (bare Ed25519 over a small TaskRequest's signed bytes), encode, decode
// (the full send and receive paths of a small TaskRequest), as in WireBenchmarks.swift; and
// paired-send, paired-receive: the "paired TaskRequest" benchmarks' interleaved timing (bare,
// wire, wire, bare per round) outside the benchmark harness, so without its malloc interposer;
// they print the medians.

import Foundation
import GridCore
import GridCrypto
import GridWire
import NIOCore

let arguments = CommandLine.arguments
guard arguments.count == 3, let count = Int(arguments[2]), ["sign", "verify", "encode", "decode", "paired-send", "paired-receive"].contains(arguments[1]) else {
    print("usage: WireProfile sign|verify|encode|decode|paired-send|paired-receive <count>")
    exit(2)
}

let maxFrameBytes = WireLimits.default.maxFrameBytes
let maxBodyBytes = RawFrameDecoder(maxFrameBytes: maxFrameBytes).maxBodyBytes
let allocator = ByteBufferAllocator()
let sessionKey: [UInt8] = (0..<32).map { UInt8($0 &* 7 &+ 1) }
let taskID: [UInt8] = (0..<16).map { UInt8($0 &+ 0xA0) }
let identity = SigningIdentity()
let sealer = EnvelopeSealer(identity: identity)

func makeTaskRequest() -> Grid_V1_TaskRequest {
    var message = Grid_V1_TaskRequest()
    message.taskID = Data(taskID)
    message.skill = "echo"
    message.input = Data("hello".utf8)
    message.deadlineMs = 30_000
    message.priority = 100
    message.minTrustPpm = 0
    return message
}

@inline(never)
func send(cipher: inout FrameCipher) throws -> ByteBuffer {
    let claim = try sealer.claim(makeTaskRequest())
    return try cipher.seal(claim, maxFrameBytes: maxFrameBytes, allocator: allocator)
}

@inline(never)
func receive(_ inbound: ByteBuffer) throws -> Grid_V1_TaskRequest {
    var buffer = inbound
    guard let body = try RawFrameDecoder.nextBody(from: &buffer, maxBodyBytes: maxBodyBytes) else { fatalError() }
    var cipher = FrameCipher(key: sessionKey)
    let frame = try cipher.open(body.readableBytesView)
    guard case .envelope(let envelope)? = frame.body else { fatalError() }
    return try envelope.verify().decode(Grid_V1_TaskRequest.self)
}

let probe = try sealer.envelope(makeTaskRequest())
let message = (0..<(try probe.signedBytes().count)).map { UInt8(truncatingIfNeeded: $0 &* 13) }
let signature = identity.sign(message)
var setupCipher = FrameCipher(key: sessionKey)
let inbound = try send(cipher: &setupCipher)

func nanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// Rounds of bare, wire, wire, bare; prints the medians of bare, wire and wire/bare.
func paired(_ bareOp: () -> Int, _ wireOp: () throws -> Int) throws {
    var bare: [UInt64] = [], wire: [UInt64] = [], ratio: [Double] = []
    var sink = 0
    for round in 0..<(count + 100) {
        let t0 = nanoseconds()
        sink &+= bareOp()
        let t1 = nanoseconds()
        sink &+= try wireOp()
        sink &+= try wireOp()
        let t3 = nanoseconds()
        sink &+= bareOp()
        let t4 = nanoseconds()
        guard round >= 100 else { continue }  // warm-up
        let b = (t1 - t0 + t4 - t3) / 2, w = (t3 - t1) / 2
        bare.append(b)
        wire.append(w)
        ratio.append(Double(w) / Double(b))
    }
    func median<T: Comparable>(_ values: [T]) -> T { values.sorted()[values.count / 2] }
    print("\(arguments[1]) x\(count): bare p50 \(median(bare)) ns, wire p50 \(median(wire)) ns, wire/bare p50 \(median(ratio)) (\(sink & 1))")
}

var sink = 0
switch arguments[1] {
case "paired-send":
    var cipher = FrameCipher(key: sessionKey)
    try paired({ Int(identity.sign(message)[0]) }, { try send(cipher: &cipher).readableBytes })
    exit(0)
case "paired-receive":
    try paired(
        { Ed25519.verify(signature: signature, of: message, by: identity.nodeID) ? 1 : 0 },
        { Int(try receive(inbound).priority) })
    exit(0)
case "sign":
    for _ in 0..<count { sink &+= Int(identity.sign(message)[0]) }
case "verify":
    for _ in 0..<count { sink &+= Ed25519.verify(signature: signature, of: message, by: identity.nodeID) ? 1 : 0 }
case "encode":
    var cipher = FrameCipher(key: sessionKey)
    for _ in 0..<count { sink &+= try send(cipher: &cipher).readableBytes }
default:
    for _ in 0..<count { sink &+= Int(try receive(inbound).priority) }
}
print("\(arguments[1]) x\(count): \(sink)")
