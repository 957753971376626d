import Foundation
import GRDB
import GridCore

/// One row of the `snapshot` table: a named piece of the node's memory of its peers (JSON), with
/// when it was saved. Each name has one row; saving again replaces it.
public struct StoredSnapshot: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "snapshot"

    public var name: String
    public var data: Data
    /// Wall-clock milliseconds since the Unix epoch.
    public var savedAtMs: Int64
}

extension GridDatabase {
    /// Saves `value` as JSON under `name`, replacing what was there, in one transaction.
    public func saveSnapshots(_ values: [String: any Encodable], atMs now: Int64) throws(GridError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var rows: [StoredSnapshot] = []
        for (name, value) in values.sorted(by: { $0.key < $1.key }) {
            do {
                rows.append(StoredSnapshot(name: name, data: try encoder.encode(value), savedAtMs: now))
            } catch {
                throw GridError(.storeWrite, "cannot encode the \(name) snapshot: \(error)")
            }
        }
        try write("save the \(values.keys.sorted().joined(separator: ", ")) snapshot") { db in
            for row in rows { try row.save(db) }
        }
    }

    /// The value saved under `name`, or nil when there is none. A row that does not decode as `T`
    /// (written by another version, or damaged) is an error that names it.
    public func snapshot<T: Decodable>(_ name: String, as type: T.Type) throws(GridError) -> T? {
        let row: StoredSnapshot?
        do {
            row = try writer.read { db in try StoredSnapshot.fetchOne(db, key: name) }
        } catch {
            throw GridError(.storeUnavailable, "cannot read the \(name) snapshot: \(error)")
        }
        guard let row else { return nil }
        do {
            return try JSONDecoder().decode(T.self, from: row.data)
        } catch {
            throw GridError(.storeBadRow, "the saved \(name) snapshot does not decode (\(error)); it is ignored and replaced at the next save")
        }
    }
}
