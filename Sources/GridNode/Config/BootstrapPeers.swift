import Foundation
import GridCore

/// One entry of `bootstrap-peers.json`: where to dial, and optionally which key must answer.
public struct BootstrapPeer: Sendable, Equatable {
    public var name: String?
    public var address: HostPort
    /// When set, a node at this address presenting any other key is refused.
    public var publicKey: NodeID?
    /// Where `publicKey` came from: what a refusal for another key tells the operator to fix.
    public var pinnedBy: PinSource

    public init(name: String? = nil, address: HostPort, publicKey: NodeID? = nil, pinnedBy: PinSource = .bootstrapFile) {
        self.name = name
        self.address = address
        self.publicKey = publicKey
        self.pinnedBy = pinnedBy
    }
}

/// Where the key expected at an address came from (Protocol/README.md, "Key pins").
public enum PinSource: String, Sendable, Equatable {
    /// The entry's `publicKey` in the bootstrap file.
    case bootstrapFile = "bootstrap file"
    /// `gridnode peers add ADDRESS --node-id ID` (the local API's `peers.add` with `nodeId`).
    case operatorAdded = "peers add"
    /// The address book: the key this address proved on an earlier connection.
    case addressBook = "address book"
    /// A peer's signed PeerRecord, learned by peer exchange.
    case peerExchange = "peer exchange"

    /// What to do when a node with another key answers at `address` where `key` was expected.
    public func fix(key: NodeID, address: HostPort) -> String {
        switch self {
        case .bootstrapFile:
            "the key is pinned by the bootstrap file's entry for \(address): fix its publicKey if that node's identity changed"
        case .operatorAdded:
            "the key was pinned by `gridnode peers add --node-id`: if it was mistyped, `gridnode peers remove \(key.hex)` and add the right one"
        case .addressBook:
            "the address book holds the key \(address) proved before, and another node answers there now: if that is expected, `gridnode peers remove \(key.hex)`"
        case .peerExchange:
            "a peer's record named that key at \(address) and the record is out of date or false; nothing to fix here"
        }
    }
}

/// The bootstrap file: `{"peers": [{"address": "127.0.0.1", "port": 7401, "publicKey": "<hex>", "name": "node1"}]}`.
public enum BootstrapPeers {
    /// At most this many entries are read; a larger file is refused rather than dialled wholesale.
    public static let maxEntries = 1000

    private struct File: Decodable {
        var peers: [Entry]
    }

    /// The keys an entry may have.
    static let keys = ["address", "port", "publicKey", "name"]

    private struct Entry: Decodable {
        var address: String?
        var port: Int?
        var publicKey: String?
        var name: String?
    }

    public static func load(from path: String) throws(GridError) -> [BootstrapPeer] {
        try parse(Data(TextFile.read(path, what: "the bootstrap file", code: .bootstrapFile)), source: path)
    }

    public static func parse(_ data: Data, source: String) throws(GridError) -> [BootstrapPeer] {
        let file: File
        let bytes = [UInt8](data)
        let shape = "expected {\"peers\": [{\"address\": \"127.0.0.1\", \"port\": 7401}]}"
        if let problem = JSONText.problem(in: bytes) {
            throw GridError(.bootstrapFile, "\(source) is not a bootstrap file: \(problem.message); \(shape)")
        }
        if let null = JSONText.nullPaths(in: bytes).first {
            throw GridError(.bootstrapFile, "\(source): '\(null)' is null; give a value or leave the key out")
        }
        do {
            file = try JSONDecoder().decode(File.self, from: data)
        } catch {
            throw GridError(.bootstrapFile, "\(source) is not a bootstrap file: \(DecodingErrorText.describe(error, in: bytes)); \(shape)")
        }
        guard file.peers.count <= maxEntries else {
            throw GridError(.bootstrapFile, "\(source) lists \(file.peers.count) peers; at most \(maxEntries) are allowed")
        }
        // A misspelt key ("pubkey") would otherwise be ignored, leaving a peer the operator
        // believes pinned unpinned: every key must be one that is read.
        let rawEntries = ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any])?["peers"] as? [[String: Any]] ?? []
        var peers: [BootstrapPeer] = []
        for (index, entry) in file.peers.enumerated() {
            let which = "\(source): peer \(index + 1)\(entry.name.map { " (\($0))" } ?? "")"
            if index < rawEntries.count, let unknown = rawEntries[index].keys.sorted().first(where: { !Self.keys.contains($0) }) {
                throw GridError(
                    .bootstrapFile,
                    "\(which) has the unknown key \"\(unknown)\"; the keys are \(Self.keys.joined(separator: ", ")) (a misspelt publicKey would leave the peer unpinned)")
            }
            guard let host = entry.address, let port = entry.port else {
                throw GridError(.bootstrapFile, "\(which) needs both \"address\" and \"port\"")
            }
            do throws(GridError) {
                let address = try HostPort(validatingHost: host, port: port)
                guard address.port > 0 else { throw GridError(.invalidAddress, "port 0 cannot be dialled") }
                let key = try entry.publicKey.map { hex throws(GridError) in try NodeID(hex: hex) }
                peers.append(BootstrapPeer(name: entry.name, address: address, publicKey: key))
            } catch {
                throw GridError(.bootstrapFile, "\(which): \(error.message)")
            }
        }
        return peers
    }
}

extension GridError.Code {
    public static let bootstrapFile = Self("config.bootstrap_file")
}
