import GridCore
import Testing

@Suite struct JSONTextTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test(arguments: [
        #"{}"#, #"[]"#, #"{"a":[1,-2.5e3,true,false,null,"x\"\u00e9"]}"#, " \n{\"a\" : {\"b\" : [ ] } } \n", "0", #""""#,
    ])
    func validDocumentsPass(_ text: String) {
        #expect(JSONText.problem(in: Self.bytes(text)) == nil)
    }

    @Test(arguments: [
        ("", "line 1, column 1: the text ends where a value should be"),
        (#"{"a":1,}"#, "line 1, column 8: expected a key in double quotes"),
        ("{\n\"a\" 1}", "line 2, column 5: expected ':' after the key 'a'"),
        (#"[1 2]"#, "line 1, column 4: expected ',' or ']'"),
        (#"{"a":01}"#, "a number may not start with 0"),
        (#"{"a":tru}"#, "JSON knows true, false and null"),
        (#"{"a":"x"#, "the text ends inside a string"),
        (#"{"a":1} x"#, "text after the end of the JSON value"),
        ("\"tab\there\"", "a control character inside a string"),
    ])
    func syntaxErrorsSayWhere(_ text: String, _ message: String) throws {
        let problem = try #require(JSONText.problem(in: Self.bytes(text)))
        #expect(problem.kind == .syntax)
        #expect(problem.message.contains(message), "\(problem.message)")
    }

    @Test func aKeyGivenTwiceIsFoundWhereverItIs() throws {
        let problem = try #require(JSONText.problem(in: Self.bytes(#"{"a":[{"b":1},{"b":2,"c":3,"\u0062":4}]}"#)))
        #expect(problem.kind == .duplicateKey(path: "a[1].b"))
        #expect(problem.message.hasPrefix("the key 'a[1].b' appears twice"))
        #expect(JSONText.problem(in: Self.bytes(#"{"a":{"b":1},"c":{"b":2}}"#)) == nil, "the same key in two objects is fine")
    }

    @Test func nestingIsBounded() throws {
        let deep = String(repeating: "[", count: JSONText.maxDepth + 1) + String(repeating: "]", count: JSONText.maxDepth + 1)
        #expect(try #require(JSONText.problem(in: Self.bytes(deep))).message.contains("nested deeper than 128 levels"))
        let fine = String(repeating: "[", count: JSONText.maxDepth) + String(repeating: "]", count: JSONText.maxDepth)
        #expect(JSONText.problem(in: Self.bytes(fine)) == nil)
    }

    @Test func nullsAndNumbersThatCannotBeWholeAreListedByPath() {
        let text = Self.bytes(#"{"a":null,"b":[1,2.5,1e2,100.0,1e20,9223372036854775808,-9223372036854775808],"c":{"d":null}}"#)
        #expect(JSONText.nullPaths(in: text) == ["a", "c.d"])
        #expect(JSONText.nonIntegerNumbers(in: text).map(\.path) == ["b[1]", "b[4]", "b[5]"])
        #expect(JSONText.nonIntegerNumbers(in: text).map(\.text) == ["2.5", "1e20", "9223372036854775808"])
    }

    @Test func theKindAtAPathIsNamed() {
        let text = Self.bytes(#"{"a":{},"b":{"c":[true]},"d":"x"}"#)
        #expect(JSONText.kind(at: "", in: text) == "an object")
        #expect(JSONText.kind(at: "a", in: text) == "an empty object")
        #expect(JSONText.kind(at: "b.c", in: text) == "a list")
        #expect(JSONText.kind(at: "b.c[0]", in: text) == "true")
        #expect(JSONText.kind(at: "d", in: text) == "a string")
        #expect(JSONText.kind(at: "e", in: text) == nil)
    }
}
