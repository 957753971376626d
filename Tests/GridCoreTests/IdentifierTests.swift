import GridCore
import GridTestKit
import Testing

@Suite struct IdentifierTests {
    @Test func hexRoundTrip() throws {
        let bytes: [UInt8] = [0x00, 0x01, 0x7f, 0x80, 0xab, 0xff]
        #expect(Hex.encode(bytes) == "00017f80abff")
        #expect(try Hex.decode("00017F80ABff") == bytes)
    }

    @Test(arguments: ["abc", "zz", "0g", "-1"])
    func hexRejects(_ text: String) {
        #expect(throws: GridError.self) { try Hex.decode(text) }
    }

    @Test func nodeIDNeeds32Bytes() throws {
        #expect(throws: GridError.self) { try NodeID(bytes: [UInt8](repeating: 1, count: 31)) }
        let id = try NodeID(bytes: [UInt8](repeating: 0xab, count: 32))
        #expect(id.hex == String(repeating: "ab", count: 32))
        #expect(id.short == "abababab")
        #expect(try NodeID(hex: id.hex) == id)
    }

    @Test func taskIDsFromASeededGeneratorRepeat() throws {
        var a = SeededRandomNumberGenerator(seed: 7)
        var b = SeededRandomNumberGenerator(seed: 7)
        let first = TaskID.random(using: &a)
        #expect(first == TaskID.random(using: &b))
        #expect(first != TaskID.random(using: &a))
        #expect(first.hex.count == 32)
        #expect(try TaskID(hex: first.hex) == first)
    }

    @Test(arguments: ["echo", "sha256", "image.resize", "a", "0x", "a_b-c.d", String(repeating: "a", count: 64)])
    func validSkillNames(_ name: String) throws {
        #expect(try SkillID(name).name == name)
    }

    @Test(arguments: ["", "Echo", ".hidden", "-x", "a b", "a/b", "é", String(repeating: "a", count: 65)])
    func invalidSkillNames(_ name: String) {
        #expect(throws: GridError.self) { try SkillID(name) }
    }
}
