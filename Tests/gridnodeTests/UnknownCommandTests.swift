import Testing

@testable import gridnode

@Suite struct UnknownCommandTests {
    static let commands = ["init", "run", "submit", "cluster"]

    @Test(arguments: [
        ("sumbit", "'sumbit' is not a gridnode command; did you mean 'submit'? (gridnode --help lists them all)"),
        ("clutser", "'clutser' is not a gridnode command; did you mean 'cluster'? (gridnode --help lists them all)"),
        ("frobnicate", "'frobnicate' is not a gridnode command; the commands are init, run, submit, cluster"),
    ])
    func suggestsTheClosestCommand(_ word: String, _ message: String) {
        #expect(UnknownCommand.message(for: word, commands: Self.commands) == message)
    }

    @Test func distances() {
        #expect(UnknownCommand.distance("", "abc") == 3)
        #expect(UnknownCommand.distance("submit", "submit") == 0)
        #expect(UnknownCommand.distance("sumbit", "submit") == 2)
        #expect(UnknownCommand.distance("kitten", "sitting") == 3)
    }
}
