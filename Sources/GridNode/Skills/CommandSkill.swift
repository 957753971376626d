import GridCore

/// A skill served by an operator's program (`skillCommands`, `--skill-command`): each task runs
/// the program once through a ``CommandRunner``, under the executor's capacity and the task's
/// deadline.
public struct CommandSkill: Skill {
    public let name: SkillID
    public let runner: CommandRunner
    /// The operator's word (`"deterministic": true` in `skillCommands`): the program's output
    /// depends only on its input.
    public let isDeterministic: Bool

    public init(name: SkillID, runner: CommandRunner, deterministic: Bool = false) {
        self.name = name
        self.runner = runner
        isDeterministic = deterministic
    }

    /// `command` run in work directories under `workBase`, its output at most `maxOutputBytes`.
    public init(name: SkillID, command: SkillCommand, workBase: String, maxOutputBytes: Int) {
        self.init(
            name: name, runner: CommandRunner(command: command.command, environment: command.env, workBase: workBase, maxOutputBytes: maxOutputBytes),
            deterministic: command.deterministic)
    }

    public func run(_ input: [UInt8]) async -> TaskOutcome {
        await runner.run(input, skill: name.name)
    }

    /// The program sees the task's ID in `GRID_TASK_ID`.
    public func run(_ input: [UInt8], context: SkillContext) async -> TaskOutcome {
        await runner.run(input, taskID: context.taskID.hex, skill: name.name)
    }
}
