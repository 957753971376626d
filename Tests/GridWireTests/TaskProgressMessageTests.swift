import Foundation
import GridCore
import GridCrypto
import GridWire
import Testing

@Suite struct TaskProgressMessageTests {
    static let taskID = TaskID(unchecked: Array(0..<16))
    static let digest = [UInt8](repeating: 0xd1, count: 32)

    static func message(_ stage: TaskProgress.Stage = .progress, fraction: Double? = 0.5, _ text: String? = "halfway", sequence: UInt32 = 2) throws
        -> TaskProgressMessage
    {
        try TaskProgressMessage(taskID: taskID, requestDigest: digest, stage: stage, fraction: fraction, message: text, sequence: sequence)
    }

    @Test(arguments: [
        (TaskProgress.Stage.started, nil, nil, 1),
        (.progress, 0.5, "halfway", 2),
        (.progress, 0, "", 3),
        (.progress, 1, String(repeating: "é", count: 100), 4),
        (.progress, nil, "no fraction", UInt32.max),
    ] as [(TaskProgress.Stage, Double?, String?, UInt32)])
    func aMessageSurvivesTheWire(stage: TaskProgress.Stage, fraction: Double?, text: String?, sequence: UInt32) throws {
        let sent = try Self.message(stage, fraction: fraction, text, sequence: sequence)
        let bytes: [UInt8] = try sent.wire.serializedBytes()
        let received = try TaskProgressMessage(Grid_V1_TaskProgress(serializedBytes: bytes))
        #expect(received == sent)
        #expect(received.progress.fraction == fraction)
        #expect(received.progress.message == text ?? "")
        #expect(received.wire.hasFraction_p == (fraction != nil))
    }

    @Test func buildingClampsTheFractionAndCutsTheMessage() throws {
        let built = try Self.message(fraction: 1.7, String(repeating: "x", count: 500))
        #expect(built.progress.fractionPPM == 1_000_000)
        #expect(built.wire.fractionPpm == 1_000_000)
        #expect(built.wire.message.utf8.count == 200)
        #expect(try Self.message(fraction: -3).progress.fractionPPM == 0)
    }

    @Test func buildingRefusesABadDigestOrSequence() {
        let digest = #expect(throws: GridError.self) {
            try TaskProgressMessage(taskID: Self.taskID, requestDigest: [1, 2, 3], stage: .started, fraction: nil, message: nil, sequence: 1)
        }
        #expect(digest?.code == .invalidArgument && digest?.message.contains("got 3") == true)
        let sequence = #expect(throws: GridError.self) { try Self.message(sequence: 0) }
        #expect(sequence?.code == .invalidArgument)
    }

    /// A field set outside its bounds.
    enum Fault: String, CaseIterable, Sendable {
        case shortTaskID, noTaskID, shortDigest, noStage, laterStage, fractionAboveWhole, fractionFarAbove
        case messageTooLong, messageTooLongInTwoByteCharacters, sequenceZero

        func apply(to wire: inout Grid_V1_TaskProgress) {
            switch self {
            case .shortTaskID: wire.taskID = Data(repeating: 1, count: 15)
            case .noTaskID: wire.taskID = Data()
            case .shortDigest: wire.requestDigest = Data(repeating: 1, count: 31)
            case .noStage: wire.stage = .unspecified
            case .laterStage: wire.stage = .UNRECOGNIZED(9)
            case .fractionAboveWhole: wire.fractionPpm = 1_000_001
            case .fractionFarAbove: wire.fractionPpm = .max
            case .messageTooLong: wire.message = String(repeating: "m", count: 201)
            case .messageTooLongInTwoByteCharacters: wire.message = String(repeating: "é", count: 101)
            case .sequenceZero: wire.sequence = 0
            }
        }

        /// Words the error must contain.
        var says: String {
            switch self {
            case .shortTaskID: "task_id is 15 bytes"
            case .noTaskID: "task_id is 0 bytes"
            case .shortDigest: "request_digest is 31 bytes"
            case .noStage: "stage of 0"
            case .laterStage: "stage of 9"
            case .fractionAboveWhole: "1000001 ppm"
            case .fractionFarAbove: "4294967295 ppm"
            case .messageTooLong: "201 bytes"
            case .messageTooLongInTwoByteCharacters: "202 bytes"
            case .sequenceZero: "sequence of 0"
            }
        }
    }

    @Test(arguments: Fault.allCases)
    func parsingRefusesAFieldOutOfBounds(_ fault: Fault) throws {
        var wire = try Self.message().wire
        fault.apply(to: &wire)
        let error = #expect(throws: GridError.self, "\(fault)") { try TaskProgressMessage(wire) }
        #expect(error?.code == .progressMalformed, "\(fault)")
        #expect(error?.message.contains(fault.says) == true, "\(fault): \(error?.message ?? "")")
    }

    @Test func parsingTakesTheBoundsThemselves() throws {
        var wire = try Self.message().wire
        wire.fractionPpm = 1_000_000
        wire.message = String(repeating: "m", count: 200)
        let parsed = try TaskProgressMessage(wire)
        #expect(parsed.progress.fraction == 1 && parsed.progress.message.utf8.count == 200)
    }

    @Test func withoutHasFractionTheFractionIsIgnored() throws {
        var wire = try Self.message(fraction: nil).wire
        wire.fractionPpm = 5_000_000  // out of bounds, but not reported: ignored
        #expect(try TaskProgressMessage(wire).progress.fractionPPM == nil)
    }

    @Test func aSealedProgressVerifiesAndAnyChangedByteBreaksIt() throws {
        let executor = try SigningIdentity(seed: [UInt8](repeating: 2, count: 32))
        let envelope = try Grid_V1_SignedEnvelope.seal(
            try Self.message().wire, by: executor, timestampMs: 1_790_000_000_000, nonce: [UInt8](repeating: 0xaa, count: 16))
        let claim = try envelope.verify()
        #expect(claim.payloadType == "grid.v1.TaskProgress")
        #expect(try TaskProgressMessage(claim.decode(Grid_V1_TaskProgress.self)) == (try Self.message()))

        var mutations: [(String, (inout Grid_V1_SignedEnvelope) -> Void)] = [
            ("timestamp", { $0.timestampMs += 1 }),
            ("payload type", { $0.payloadType = "grid.v1.TaskResult" }),
            ("author", { $0.author = Data(SigningIdentity().nodeID.bytes) }),
            ("no signature", { $0.signature = Data() }),
        ]
        for index in envelope.payload.indices {
            mutations.append(("payload byte \(index)", { $0.payload[index] ^= 0x01 }))
            mutations.append(("payload byte \(index), high bit", { $0.payload[index] ^= 0x80 }))
        }
        for index in 0..<16 { mutations.append(("nonce byte \(index)", { $0.nonce[index] ^= 0x01 })) }
        for index in 0..<64 { mutations.append(("signature byte \(index)", { $0.signature[index] ^= 0x01 })) }
        for (name, mutate) in mutations {
            var tampered = envelope
            mutate(&tampered)
            let error = #expect(throws: GridError.self, "\(name)") { try tampered.verify() }
            #expect(error?.code == .badSignature, "\(name)")
        }
    }
}
