import Foundation
import GridCore
import GridCrypto
import GridStore

/// `gridnode init`: the data directory, a new identity, its task store, and a config file of defaults.
public enum NodeSetup {
    /// Creates `directory`'s identity; refuses to replace one unless `force`, and refuses even then
    /// while a node runs with the directory (it holds the directory's lock). Creates the task store
    /// (`grid.sqlite`) when there is none, so a directory with an identity always has one; an
    /// existing store is left as it is. Writes a config.json of defaults only where there is none,
    /// so `--force` keeps the operator's settings. Returns the node ID.
    @discardableResult
    public static func initialize(_ directory: DataDirectory, force: Bool) throws(GridError) -> NodeID {
        try directory.create()
        let lock: DataDirectoryLock
        do throws(GridError) {
            lock = try directory.lockForNode()
        } catch where error.code == .dataDirectoryBusy {
            throw GridError(
                .dataDirectoryBusy,
                "a gridnode is running with \(directory.path); stop it first — its identity cannot be replaced while it runs")
        }
        defer { lock.release() }
        if !force, let existing = try? KeyFile.read(from: directory.identityPath) {
            throw GridError(
                .identityExists,
                "\(directory.path) already holds node \(existing.nodeID); pass --force to replace it (its node ID is lost for good)")
        }
        // The store first: an identity without a store is what a node refuses to start on.
        if !FileManager.default.fileExists(atPath: directory.databasePath) {
            _ = try GridDatabase(path: directory.databasePath)
        }
        let identity = SigningIdentity()
        try KeyFile.write(identity, to: directory.identityPath, replace: force)
        if !FileManager.default.fileExists(atPath: directory.configPath) {
            do {
                try NodeSettings.default.json().write(toFile: directory.configPath, atomically: true, encoding: .utf8)
            } catch {
                throw GridError(.dataDirectory, "cannot write \(directory.configPath): \(error.localizedDescription)")
            }
        }
        return identity.nodeID
    }
}
