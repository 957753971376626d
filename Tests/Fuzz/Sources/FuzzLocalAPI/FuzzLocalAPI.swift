// libFuzzer target: the local API's input path — the line framing, then every check a request
// line goes through before the node acts on it: RequestChecks (JSON syntax and duplicate keys
// through JSONText, the request's shape, params of the wrong shape), the head and the params of
// each method decoded with JSONDecoder, and DecodingErrorText for what the user is told.
//
// The input is a byte stream as a client would send it: LineFrameDecoder.nextLine splits it
// (with a 4 KiB line limit, so long lines are reached too); each line is then checked as the
// node checks it. A zero byte in the input is not special.
//
// Checks beyond "no crash, no hang":
// - nextLine consumes whole lines and throws only for a line above the limit;
// - JSONText is never laxer than Foundation: a line it finds well formed is accepted by
//   JSONSerialization (it may be stricter: Foundation stops reading at a NUL byte, and does not
//   look for a key given twice);
// - RequestChecks.malformed refuses every line JSONText finds a problem in, and every line whose
//   head could not be read;
// - no message told to the user names a Swift type (`Int`, `Dictionary<`, `Array<`, `Optional<`)
//   or a Foundation error domain.
import Foundation
import GridCore
import GridLocalAPI
import NIOCore

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("harness check failed: \(message())") }
}

private let leaks = ["Swift.", "Dictionary<", "Array<", "Optional<", "NSCocoaErrorDomain", "DecodingError"]

private func checkMessage(_ message: String, _ line: [UInt8]) {
    for leak in leaks {
        check(!message.contains(leak), "the message names '\(leak)': \(message) for \(String(decoding: line.prefix(200), as: UTF8.self))")
    }
    check(!message.isEmpty, "an empty message")
}

private func decodeParams<P: Codable & Sendable>(_ type: P.Type, _ line: [UInt8]) {
    do {
        _ = try JSONDecoder().decode(RPCRequest<P>.self, from: Data(line))
    } catch {
        checkMessage(DecodingErrorText.describe(error, in: line), line)
    }
}

private func exercise(_ line: [UInt8]) {
    guard String(validating: line, as: UTF8.self) != nil else { return }  // the node refuses those first
    let problem = JSONText.problem(in: line)
    let foundation = (try? JSONSerialization.jsonObject(with: Data(line), options: [.fragmentsAllowed])) != nil
    // JSONText may be stricter than Foundation (which, for one, stops reading at a NUL byte), never laxer.
    if problem == nil { check(foundation, "JSONText accepts what Foundation refuses") }

    let head = try? JSONDecoder().decode(RPCRequestHead.self, from: Data(line))
    let malformed = RequestChecks.malformed(line, headRead: head != nil)
    if problem != nil || head == nil { check(malformed != nil, "a line with a problem passed RequestChecks") }
    if let malformed { checkMessage(malformed.message, line) }
    guard malformed == nil else { return }
    for takesNone in [true, false] {
        if let error = RequestChecks.paramsProblem(line, method: "node.info", takesNone: takesNone) {
            checkMessage(error.message, line)
        }
    }
    _ = JSONText.nullPaths(in: line)
    _ = JSONText.nonIntegerNumbers(in: line)
    decodeParams(SubmitParams.self, line)
    decodeParams(TaskGetParams.self, line)
    decodeParams(TaskListParams.self, line)
    decodeParams(TaskWaitParams.self, line)
    decodeParams(ServeParams.self, line)
    decodeParams(PeerAddParams.self, line)
    decodeParams(PeerRemoveParams.self, line)
    decodeParams(RouteParams.self, line)
    decodeParams(TaskProgressParams.self, line)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let limit = 4096
    var buffer = ByteBuffer(bytes: UnsafeRawBufferPointer(start: start, count: count))
    var decoder = LineFrameDecoder(maxLineBytes: limit)
    while true {
        let before = buffer.readableBytes
        let line: ByteBuffer?
        do {
            line = try decoder.nextLine(from: &buffer)
        } catch {
            check(before > limit, "nextLine threw for \(before) bytes: \(error)")
            return 0
        }
        guard let line else {
            check(buffer.readableBytes == before, "an incomplete line was consumed")
            break
        }
        check(line.readableBytes <= limit, "a line of \(line.readableBytes) bytes passed a limit of \(limit)")
        exercise(Array(line.readableBytesView))
    }
    if buffer.readableBytes > 0 { exercise(Array(buffer.readableBytesView)) }  // the last line, unterminated, when the client closes
    return 0
}
