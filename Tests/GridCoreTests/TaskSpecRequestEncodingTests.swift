import GridCore
import Testing

@Suite struct TaskSpecRequestEncodingTests {
    func spec(_ id: UInt8 = 1) -> TaskSpec {
        TaskSpec(id: try! TaskID(bytes: [UInt8](repeating: id, count: 16)), skill: skill("echo"), input: [0x61], timeout: .milliseconds(1000))
    }

    @Test func theTaskIDIsNotPartOfTheRequest() {
        #expect(spec(1).requestEncoding == spec(2).requestEncoding)
    }

    @Test func theLayoutIsFixed() {
        let expected: [UInt8] = Array("grid.submit.v1".utf8)
            + [0, 4] + Array("echo".utf8)
            + [0, 0, 0, 0, 0, 0, 0, 1, 0x61]
            + [0, 0, 0, 1]  // replicas
            + [96]  // priority
            + [0, 0, 0, 0, 0, 0, 0x03, 0xe8]  // 1000 ms
            + [0, 0, 0, 0, 0, 0, 0, 0]  // minimum trust 0
            + [0, 0]  // cacheable, retryApplicationErrors
        #expect(spec().requestEncoding == expected)
    }

    @Test(arguments: [
        "skill", "input", "input moved into skill", "replicas", "priority", "timeout", "minimumTrust", "cacheable", "retry",
    ])
    func everyPartOfTheRequestChangesIt(part: String) {
        var changed = spec()
        switch part {
        case "skill": changed.skill = skill("echo2")
        case "input": changed.input = [0x62]
        case "input moved into skill":
            // Lengths keep fields apart: "echo" + "a" is not "echoa" + "".
            changed.skill = skill("echoa")
            changed.input = []
        case "replicas": changed.replicas = 3
        case "priority": changed.priority = 200
        case "timeout": changed.timeout = .milliseconds(1001)
        case "minimumTrust": changed.minimumTrust = 0.5
        case "cacheable": changed.cacheable = true
        default: changed.retryApplicationErrors = true
        }
        #expect(changed.requestEncoding != spec().requestEncoding)
    }

    @Test func negativeZeroTrustIsZeroTrust() {
        var negative = spec()
        negative.minimumTrust = -0.0
        #expect(negative.requestEncoding == spec().requestEncoding)
    }
}
