import Foundation
import GridCore
import GridCrypto

/// `gridnode init`: the data directory, a new identity, and a config file of defaults.
public enum NodeSetup {
    /// Creates `directory`'s identity; refuses to replace one unless `force`. Writes a config.json
    /// of defaults only where there is none, so `--force` keeps the operator's settings. Returns
    /// the node ID.
    @discardableResult
    public static func initialize(_ directory: DataDirectory, force: Bool) throws(GridError) -> NodeID {
        try directory.create()
        if !force, let existing = try? KeyFile.read(from: directory.identityPath) {
            throw GridError(
                .identityExists,
                "\(directory.path) already holds node \(existing.nodeID); pass --force to replace it (its node ID is lost for good)")
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
