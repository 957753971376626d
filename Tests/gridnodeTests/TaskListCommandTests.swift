import ArgumentParser
import GridLocalAPI
import Testing

@testable import gridnode

@Suite struct TaskListCommandTests {
    @Test func flagsAreValidated() throws {
        #expect(throws: (any Error).self) { try Gridnode.parseAsRoot(["tasks", "--status", "done"]) }
        #expect(throws: (any Error).self) { try Gridnode.parseAsRoot(["tasks", "--limit", "0"]) }
        #expect(throws: (any Error).self) { try Gridnode.parseAsRoot(["wait"]) }
        #expect(throws: (any Error).self) { try Gridnode.parseAsRoot(["wait", "abc", "--timeout", "0"]) }
        let wait = try #require(try Gridnode.parseAsRoot(["wait", "a", "b", "--any", "--timeout", "1.5"]) as? Wait)
        #expect(wait.taskIDs == ["a", "b"] && wait.anyOne && wait.timeout == 1.5)
        let submit = try #require(try Gridnode.parseAsRoot(["submit", "echo", "--idempotency-key", "order-7"]) as? Submit)
        #expect(submit.idempotencyKey == "order-7")
        let tasks = try #require(try Gridnode.parseAsRoot(["tasks", "--status", "failed", "--skill", "sha256"]) as? Tasks)
        #expect(tasks.status == "failed" && tasks.skill == "sha256" && tasks.limit == 100)
    }

    @Test func theTableHasOneRowPerTaskWithTheTimeTakenAndTheShortExecutor() {
        let views = [
            TaskView(taskId: String(repeating: "b", count: 32), skill: "sleep", status: .running, submittedAtMs: 1_732_147_201_000),
            TaskView(
                taskId: String(repeating: "a", count: 32), skill: "sha256", status: .succeeded, submittedAtMs: 1_732_147_200_000,
                finishedAtMs: 1_732_147_202_500, executor: String(repeating: "57a57b56", count: 8), output: "x"),
        ]
        let lines = Tasks.table(views).split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("TASK ID") && lines[0].contains("SUBMITTED") && lines[0].hasSuffix("EXECUTOR"))
        #expect(lines[1].hasPrefix(views[0].taskId) && lines[1].contains("running") && lines[1].hasSuffix("-"))
        #expect(lines[2].contains("2024-11-21T00:00:00Z") && lines[2].contains("2.5 s") && lines[2].hasSuffix("57a57b56"))
        #expect(Tasks.took(42) == "42 ms")
    }

    @Test func waitPrintsEachOutcomeThenThePending() {
        let result = TaskWaitResult(
            done: [
                TaskView(taskId: "t1", skill: "echo", status: .succeeded, submittedAtMs: 0, output: "hi"),
                TaskView(taskId: "t2", skill: "fail", status: .failed, submittedAtMs: 0, error: .init(code: "skill_failed", message: "no")),
            ],
            pending: ["t3"])
        #expect(Wait.outcomes(result) == ["t1  succeeded  hi", "t2  failed     skill_failed: no", "t3  pending    still running"])
    }
}
