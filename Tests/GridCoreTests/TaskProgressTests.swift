import GridCore
import Testing

@Suite struct TaskProgressTests {
    @Test(arguments: [
        (nil, nil), (0.0, 0), (0.5, 500_000), (1.0, 1_000_000), (0.123_456_7, 123_457), (-0.1, 0), (1.5, 1_000_000),
        (-Double.infinity, 0), (Double.infinity, 1_000_000), (Double.nan, nil), (0.000_000_4, 0), (0.000_000_6, 1),
    ] as [(Double?, UInt32?)])
    func aFractionIsClampedAndRoundedToMillionths(fraction: Double?, ppm: UInt32?) {
        #expect(TaskProgress(stage: .progress, fraction: fraction, message: nil).fractionPPM == ppm)
    }

    @Test(arguments: [
        ("", ""),
        (String(repeating: "a", count: 200), String(repeating: "a", count: 200)),
        (String(repeating: "a", count: 201), String(repeating: "a", count: 200)),
        // 2-byte characters: 100 fit exactly; a 201st byte would split the 101st, so it goes whole.
        (String(repeating: "é", count: 101), String(repeating: "é", count: 100)),
        ("a" + String(repeating: "é", count: 100), "a" + String(repeating: "é", count: 99)),
        // A 4-byte emoji is never cut in half.
        (String(repeating: "a", count: 198) + "🙂", String(repeating: "a", count: 198)),
    ])
    func aMessageIsCutToTwoHundredBytesAtACharacterBoundary(message: String, kept: String) {
        let progress = TaskProgress(stage: .progress, fraction: nil, message: message)
        #expect(progress.message == kept)
        #expect(progress.message.utf8.count <= TaskProgress.maxMessageBytes)
    }

    @Test func theCheckedInitRefusesWhatIsOutOfBounds() throws {
        #expect(try TaskProgress(stage: .started, fractionPPM: nil, message: "").fraction == nil)
        #expect(try TaskProgress(stage: .progress, fractionPPM: 1_000_000, message: String(repeating: "x", count: 200)).fraction == 1)
        let fraction = #expect(throws: GridError.self) { try TaskProgress(stage: .progress, fractionPPM: 1_000_001, message: "") }
        #expect(fraction?.message.contains("1000001 ppm") == true)
        let message = #expect(throws: GridError.self) {
            try TaskProgress(stage: .progress, fractionPPM: nil, message: String(repeating: "x", count: 201))
        }
        #expect(message?.message.contains("201 bytes") == true)
    }

    @Test func describesItselfForLogs() {
        #expect(TaskProgress(stage: .started, fraction: nil, message: nil).description == "started")
        #expect(TaskProgress(stage: .progress, fraction: 0.425, message: "resizing").description == "progress 42.5%: resizing")
    }
}
