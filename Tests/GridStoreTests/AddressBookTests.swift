import Foundation
import GridCore
import GridStore
import Testing

@Suite struct AddressBookTests {
    let peer = try! NodeID(bytes: [UInt8](repeating: 5, count: 32))

    @Test func aPeerSeenIsRememberedWithItsAddressesNewestFirst() throws {
        let database = try GridDatabase.inMemory()
        try database.peerSeen(peer, addresses: ["127.0.0.1:7401"], atMs: 10)
        try database.peerSeen(peer, addresses: ["10.0.0.1:7401", "127.0.0.1:7401"], atMs: 20)
        let row = try #require(try database.knownPeer(peer))
        #expect(row.addressList == ["10.0.0.1:7401", "127.0.0.1:7401"])
        #expect(row.firstSeenMs == 10 && row.lastSeenMs == 20)
        #expect(!row.pinned && !row.isBanned)
    }

    @Test func failuresCountUntilTheNextSuccess() throws {
        let database = try GridDatabase.inMemory()
        try database.peerSeen(peer, addresses: ["h:1"], atMs: 1)
        #expect(try database.peerDialFailed(peer) == 1)
        #expect(try database.peerDialFailed(peer) == 2)
        try database.peerSeen(peer, addresses: [], atMs: 2)
        #expect(try database.knownPeer(peer)?.consecutiveFailures == 0)
        #expect(try database.knownPeer(peer)?.addressList == ["h:1"])
    }

    @Test func addressesAreBounded() throws {
        let database = try GridDatabase.inMemory()
        try database.peerSeen(peer, addresses: (1...20).map { "h:\($0)" }, atMs: 1)
        #expect(try database.knownPeer(peer)?.addressList.count == KnownPeer.maxAddresses)
    }

    @Test func pinsAndBansPersist() throws {
        var template = Array("/tmp/gridbook-XXXXXX".utf8CString)
        let directory = String(cString: try #require(mkdtemp(&template)))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/grid.sqlite"
        let other = try NodeID(bytes: [UInt8](repeating: 6, count: 32))
        do {
            let database = try GridDatabase(path: path)
            try database.pinPeer(peer, addresses: ["h:1"], atMs: 1)
            try database.banPeer(other, reason: "sent forged results", atMs: 2)
        }
        let reopened = try GridDatabase(path: path)
        #expect(try reopened.knownPeer(peer)?.pinned == true)
        let banned = try #require(try reopened.knownPeer(other))
        #expect(banned.isBanned && banned.banReason == "sent forged results")
        #expect(try reopened.knownPeers().count == 2)
    }
}
