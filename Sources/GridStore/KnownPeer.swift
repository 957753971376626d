import Foundation
import GRDB
import GridCore

/// One row of the address book: a peer this node has met or been told about, kept across restarts
/// so a node reconnects without its bootstrap file.
public struct KnownPeer: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "known_peer"
    /// Most addresses kept per peer (the newest first).
    public static let maxAddresses = 8

    /// Node ID, hex.
    public var nodeId: String
    /// JSON array of "host:port", newest first.
    public var addresses: String
    public var firstSeenMs: Int64
    public var lastSeenMs: Int64
    /// Dials that failed since the last success.
    public var consecutiveFailures: Int
    /// Pinned by the operator (a bootstrap entry's key, or `gridnode peers add` with a key): never pruned.
    public var pinned: Bool
    public var bannedAtMs: Int64?
    public var banReason: String?

    public var addressList: [String] {
        (try? JSONDecoder().decode([String].self, from: Data(addresses.utf8))) ?? []
    }

    public var isBanned: Bool { bannedAtMs != nil }
}

extension GridDatabase {
    /// Records that `peer` was reached (or announced itself) at `addresses`, now.
    public func peerSeen(_ peer: NodeID, addresses: [String], atMs now: Int64) throws(GridError) {
        try write("record peer \(peer.short)") { db in
            var row = try KnownPeer.fetchOne(db, key: peer.hex)
                ?? KnownPeer(
                    nodeId: peer.hex, addresses: "[]", firstSeenMs: now, lastSeenMs: now, consecutiveFailures: 0, pinned: false)
            row.lastSeenMs = now
            row.consecutiveFailures = 0
            row.addresses = Self.merge(addresses, into: row.addressList)
            try row.save(db)
        }
    }

    /// Records a failed dial of `peer`; returns the count of failures in a row.
    @discardableResult
    public func peerDialFailed(_ peer: NodeID) throws(GridError) -> Int {
        var failures = 0
        try write("record a failed dial of \(peer.short)") { db in
            guard var row = try KnownPeer.fetchOne(db, key: peer.hex) else { return }
            row.consecutiveFailures += 1
            failures = row.consecutiveFailures
            try row.update(db)
        }
        return failures
    }

    /// Adds or pins a peer the operator named (bootstrap entry with a key, or `peers add`).
    public func pinPeer(_ peer: NodeID, addresses: [String], atMs now: Int64) throws(GridError) {
        try write("pin peer \(peer.short)") { db in
            var row = try KnownPeer.fetchOne(db, key: peer.hex)
                ?? KnownPeer(nodeId: peer.hex, addresses: "[]", firstSeenMs: now, lastSeenMs: now, consecutiveFailures: 0, pinned: true)
            row.pinned = true
            row.addresses = Self.merge(addresses, into: row.addressList)
            try row.save(db)
        }
    }

    /// Bans `peer`: it is never dialled or accepted again.
    public func banPeer(_ peer: NodeID, reason: String, atMs now: Int64) throws(GridError) {
        try write("ban peer \(peer.short)") { db in
            var row = try KnownPeer.fetchOne(db, key: peer.hex)
                ?? KnownPeer(nodeId: peer.hex, addresses: "[]", firstSeenMs: now, lastSeenMs: now, consecutiveFailures: 0, pinned: false)
            row.bannedAtMs = now
            row.banReason = String(reason.prefix(500))
            try row.save(db)
        }
    }

    /// Lifts the operator's ban of `peer`; false when it was not banned.
    public func unbanPeer(_ peer: NodeID) throws(GridError) -> Bool {
        var lifted = false
        try write("unban peer \(peer.short)") { db in
            guard var row = try KnownPeer.fetchOne(db, key: peer.hex), row.isBanned else { return }
            row.bannedAtMs = nil
            row.banReason = nil
            try row.update(db)
            lifted = true
        }
        return lifted
    }

    /// Removes `peer` from the address book (a pin with it), unless it is banned: a ban is kept
    /// so the peer stays refused. False when there was no such entry.
    public func forgetPeer(_ peer: NodeID) throws(GridError) -> Bool {
        var removed = false
        try write("remove peer \(peer.short) from the address book") { db in
            guard let row = try KnownPeer.fetchOne(db, key: peer.hex), !row.isBanned else { return }
            removed = try row.delete(db)
        }
        return removed
    }

    /// Removes every peer listed at `address` from the address book (banned ones excepted):
    /// the node IDs removed.
    public func forgetPeers(at address: String) throws(GridError) -> [String] {
        var removed: [String] = []
        try write("remove the peers at \(address) from the address book") { db in
            for row in try KnownPeer.fetchAll(db) where !row.isBanned && row.addressList.contains(address) {
                if try row.delete(db) { removed.append(row.nodeId) }
            }
        }
        return removed
    }

    public func knownPeers() throws(GridError) -> [KnownPeer] {
        do {
            return try writer.read { db in try KnownPeer.order(Column("lastSeenMs").desc).fetchAll(db) }
        } catch {
            throw GridError(.storeUnavailable, "cannot read the address book: \(error)")
        }
    }

    public func knownPeer(_ peer: NodeID) throws(GridError) -> KnownPeer? {
        do {
            return try writer.read { db in try KnownPeer.fetchOne(db, key: peer.hex) }
        } catch {
            throw GridError(.storeUnavailable, "cannot read the address book: \(error)")
        }
    }

    /// `new` first, then the old ones not repeated, at most ``KnownPeer/maxAddresses``, as JSON.
    static func merge(_ new: [String], into old: [String]) -> String {
        var seen: Set<String> = []
        let merged = (new + old).filter { !$0.isEmpty && seen.insert($0).inserted }.prefix(KnownPeer.maxAddresses)
        let data = (try? JSONEncoder().encode(Array(merged))) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
