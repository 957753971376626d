import GridCore
import GridLocalAPI
import Testing

@Suite struct RequestChecksTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test(arguments: [
        (#"{"jsonrpc":"2.0","id":1,"method":"node.info""#, RPCError.parseError, "not valid JSON at line 1, column 45"),
        ("[1,2]", RPCError.invalidRequest, "the request is a list, not an object"),
        ("5", RPCError.invalidRequest, "the request is a number, not an object"),
        (#"{"jsonrpc":"2.0","id":{"a":1},"method":"node.info"}"#, RPCError.invalidRequest, #""id" is an object"#),
        (#"{"jsonrpc":"2.0","id":1,"id":2,"method":"node.info"}"#, RPCError.invalidRequest, "the key 'id' appears twice"),
        (#"{"jsonrpc":"2.0","id":1,"method":"task.submit","params":{"skill":"echo","skill":"sha256"}}"#, RPCError.invalidRequest,
         "the key 'params.skill' appears twice"),
    ])
    func aLineThatIsNotARequestSaysWhy(_ line: String, _ code: Int, _ mentioned: String) throws {
        let headRead = !line.hasPrefix("[") && line != "5" && !line.contains(#""id":{"#) && line.hasSuffix("}")
        let error = try #require(RequestChecks.malformed(Self.bytes(line), headRead: headRead))
        #expect(error.code == code)
        #expect(error.message.contains(mentioned), "\(error.message)")
    }

    @Test func aWellFormedRequestPasses() {
        #expect(RequestChecks.malformed(Self.bytes(#"{"jsonrpc":"2.0","id":1,"method":"node.info"}"#), headRead: true) == nil)
    }

    @Test(arguments: [
        (#"{"params":5}"#, false, #""params" is a number"#),
        (#"{"params":[1]}"#, false, #""params" is a list"#),
        (#"{"params":"x"}"#, true, #""params" is a string"#),
        (#"{"params":{"bogus":1}}"#, true, "node.info takes no params"),
    ])
    func paramsOfTheWrongShapeAreRefused(_ line: String, _ takesNone: Bool, _ mentioned: String) throws {
        let error = try #require(RequestChecks.paramsProblem(Self.bytes(line), method: "node.info", takesNone: takesNone))
        #expect(error.code == RPCError.invalidParams && error.message.contains(mentioned), "\(error.message)")
    }

    @Test(arguments: [#"{}"#, #"{"params":null}"#, #"{"params":{}}"#])
    func noParamsAreFineForAMethodThatTakesNone(_ line: String) {
        #expect(RequestChecks.paramsProblem(Self.bytes(line), method: "node.info", takesNone: true) == nil)
    }

    @Test func paramsByNameAreFineForAMethodThatTakesThem() {
        #expect(RequestChecks.paramsProblem(Self.bytes(#"{"params":{"skill":"echo"}}"#), method: "task.submit", takesNone: false) == nil)
    }
}
