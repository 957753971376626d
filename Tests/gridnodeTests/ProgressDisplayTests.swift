import GridLocalAPI
import Testing

@testable import gridnode

@Suite struct ProgressDisplayTests {
    static let node = String(repeating: "ab", count: 32)

    @Test(arguments: [
        (TaskEventView(kind: .submitted, atMs: 0, nodeId: node), "submitted"),
        (TaskEventView(kind: .accepted, atMs: 0, nodeId: node, queuePosition: 3), "accepted by abababab (3 ahead)"),
        (TaskEventView(kind: .started, atMs: 0, nodeId: node), "started on abababab"),
        (TaskEventView(kind: .progress, atMs: 0, nodeId: node, fraction: 0.5, message: "half way"), "progress on abababab: 50% half way"),
        (TaskEventView(kind: .retrying, atMs: 0, nodeId: node, message: "connection lost"), "retrying: the attempt on abababab ended with connection lost"),
        (TaskEventView(kind: .failed, atMs: 0, message: "no node serves it", code: "no_provider"), "failed: no_provider: no node serves it"),
    ])
    func plainLines(_ event: TaskEventView, _ expected: String) {
        #expect(ProgressDisplay.line(event) == expected)
    }

    @Test func aTerminalGetsABarForAFraction() {
        #expect(ProgressDisplay.bar(0.5, width: 10) == "[#####-----]")
        #expect(ProgressDisplay.bar(2, width: 4) == "[####]")
        let status = ProgressDisplay.status(TaskEventView(kind: .progress, atMs: 0, nodeId: Self.node, fraction: 0.25, message: "rendering"))
        #expect(status == "[######------------------]  25% on abababab rendering")
        #expect(ProgressDisplay.status(TaskEventView(kind: .progress, atMs: 0, message: "busy")) == "[working] busy")
    }
}
