import ArgumentParser
import GridCrypto
import GridNode

struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a node identity (Ed25519 key pair) and a default config file.")

    @OptionGroup var dataDir: DataDirOption

    @Flag(help: "Replace an existing identity (its node ID is lost for good); config.json is kept.")
    var force = false

    func run() async throws {
        try await reportingErrors {
            let directory = dataDir.directory
            let id = try NodeSetup.initialize(directory, force: force)
            print("initialized node \(id) in \(directory.path)")
        }
    }
}

struct Id: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print this node's ID (hex of its public key).")

    @OptionGroup var dataDir: DataDirOption

    func run() async throws {
        try await reportingErrors {
            print(try KeyFile.read(from: dataDir.directory.identityPath).nodeID.hex)
        }
    }
}

struct Config: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the node's settings.", subcommands: [Show.self], defaultSubcommand: Show.self)

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the settings config.json gives, defaults filled in (README lists each); 'run' flags override them per run.")

        @OptionGroup var dataDir: DataDirOption

        func run() async throws {
            try await reportingErrors {
                print(try NodeSettings.load(from: dataDir.directory.configPath).json(), terminator: "")
            }
        }
    }
}
