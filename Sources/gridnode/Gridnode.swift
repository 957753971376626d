import ArgumentParser
import Foundation
import GridCore
import GridLocalAPI
import GridNode

@main
struct Gridnode: AsyncParsableCommand {
    /// This build's version, printed by `gridnode --version`.
    static let version = "0.13.0"

    static let configuration = CommandConfiguration(
        commandName: "gridnode",
        abstract: "A node of a Grid: runs tasks, and delegates them to peers that serve their skill.",
        version: "gridnode \(Gridnode.version)",
        subcommands: [Init.self, Id.self, Run.self, Submit.self, Load.self, Serve.self, TaskCommand.self, Tasks.self, Wait.self, Cancel.self, Peers.self, RouteCommand.self, MetricsCommand.self, Config.self, Cluster.self])

    /// Refuses a first word that is no command, naming the closest one, before ArgumentParser
    /// would complain about whatever option follows it ("Unknown option '--input'").
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let commands = configuration.subcommands.map { $0._commandName }
        if let word = arguments.first, !word.hasPrefix("-"), word != "help", !commands.contains(word) {
            Console.error("error: \(UnknownCommand.message(for: word, commands: commands))\n")
            Self.exit(withError: ExitCode.failure)
        }
        await main(arguments)
    }
}

/// `--data-dir`, shared by every command.
struct DataDirOption: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "The node's data directory (default: $GRIDNODE_HOME, else ~/.gridnode).")
    var path: String?

    var directory: DataDirectory {
        DataDirectory.resolve(path, environment: ProcessInfo.processInfo.environment)
    }
}

/// Runs `body`, turning the errors users can act on into one line on stderr and exit status 1.
func reportingErrors<R>(_ body: () async throws -> R) async throws -> R {
    do {
        return try await body()
    } catch let error as GridError {
        Console.error("error: \(error.message)\n")
    } catch let error as RPCError {
        Console.error("error: \(error.message)\n")
    }
    throw ExitCode.failure
}

/// The JSON every command prints and writes: indented, keys sorted, slashes as they are.
func prettyJSON(_ value: some Encodable) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return try encoder.encode(value)
}

func printJSON(_ value: some Encodable) throws {
    print(String(decoding: try prettyJSON(value), as: UTF8.self))
}
