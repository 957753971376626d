import ArgumentParser
import Foundation
import GridCore
import GridCrypto
import GridNode
import Logging
import ServiceLifecycle

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the node until SIGINT or SIGTERM.",
        discussion: "Flags override the data directory's config.json for this run.")

    @OptionGroup var dataDir: DataDirOption

    @Option(help: "TCP address to listen on for peers, host:port (default 127.0.0.1:7401).")
    var listen: String?

    @Option(help: "The network to join; nodes of different networks refuse each other (default main).")
    var network: String?

    @Option(help: "Bootstrap peers file to dial at start (format in README).")
    var bootstrap: String?

    @Option(help: "Comma-separated built-in skills to serve: echo, sha256, sleep, fail.")
    var skills: String?

    @Option(
        name: .customLong("skill-command"),
        help: ArgumentHelp(
            "Also serve skill NAME by running COMMAND once per task, input on stdin, output from stdout (repeatable). COMMAND is split on whitespace, quotes keep spaces together; no other shell syntax: use sh -c '...' for pipes or redirection. Not announced as deterministic: use config.json's skillCommands object form with deterministic true for that.",
            valueName: "NAME=COMMAND"))
    var skillCommands: [String] = []

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    @Flag(
        name: .customLong("new-store"),
        help: "If grid.sqlite is missing, empty or damaged, begin an empty task store instead of refusing to start; what was there is kept as grid.sqlite.empty-<time> or grid.sqlite.damaged-<time> (with its -wal and -shm). A sound store is kept as it is.")
    var newStore = false

    @Flag(
        name: .customLong("allow-faults"),
        help: "Let the local API inject faults into this node (partitions, delays, dropped frames, lying or stalled skills, a slow executor, refused connections), for test grids: gridnode cluster up sets it. Never on an operator's node; config.json cannot set it.")
    var allowFaults = false

    func run() async throws {
        try await reportingErrors {
            let directory = dataDir.directory
            let identity = try KeyFile.read(from: directory.identityPath)
            var settings = try NodeSettings.load(from: directory.configPath)
            if let listen { settings.listen = try HostPort(parsing: listen) }
            if let bootstrap { settings.bootstrapFile = bootstrap }
            if let network { settings.networkID = network }
            if let skills {
                settings.skills = skills.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }
            if let logLevel { settings.logLevel = logLevel }
            settings.allowFaults = allowFaults
            for flag in skillCommands {
                let (name, command) = try NodeSettings.parseSkillCommandFlag(flag)
                settings.skillCommands[name] = command
            }
            try settings.validate()
            let peers = try settings.bootstrapFile.map { path throws(GridError) in try BootstrapPeers.load(from: path) } ?? []
            let lock = try directory.lockForNode()
            defer { lock.release() }

            let level = settings.logLevelValue
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            let logger = Logger(label: "gridnode")
            let node = GridNode(
                dataDirectory: directory, settings: settings, identity: identity, bootstrap: peers, logger: logger, newStore: newStore)
            let group = ServiceGroup(
                configuration: .init(
                    services: [.init(service: node)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        }
    }
}
