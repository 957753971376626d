import Foundation
import GRDB
import GridCore
import Testing

@testable import GridStore

/// Builds WAL files by the format's description (https://www.sqlite.org/fileformat2.html#walformat),
/// with a checksum of its own, so the checker is measured against the spec rather than itself.
struct WALBuilder {
    var pageSize = 512
    var bigEndian = false
    var salts: (UInt32, UInt32) = (0x1111_2222, 0x3333_4444)
    var bytes: [UInt8] = []
    var running: (UInt32, UInt32) = (0, 0)

    init(pageSize: Int = 512, bigEndian: Bool = false, salts: (UInt32, UInt32) = (0x1111_2222, 0x3333_4444)) {
        self.pageSize = pageSize
        self.bigEndian = bigEndian
        self.salts = salts
        var header: [UInt8] = []
        header += Self.be(bigEndian ? 0x377f_0683 : 0x377f_0682)
        header += Self.be(3_007_000)
        header += Self.be(UInt32(pageSize))
        header += Self.be(0)  // checkpoint sequence
        header += Self.be(salts.0) + Self.be(salts.1)
        running = sum(header, from: (0, 0))
        bytes = header + Self.be(running.0) + Self.be(running.1)
    }

    /// Appends a frame for page `page`; `commit` makes it a commit frame (database size in pages).
    mutating func frame(page: UInt32, commit: UInt32 = 0, fill: UInt8, salts frameSalts: (UInt32, UInt32)? = nil) {
        let (s0, s1) = frameSalts ?? salts
        let head = Self.be(page) + Self.be(commit) + Self.be(s0) + Self.be(s1)
        let data = [UInt8](repeating: fill, count: pageSize)
        running = sum(Array(head[0..<8]) + data, from: running)
        bytes += head + Self.be(running.0) + Self.be(running.1) + data
    }

    func offset(ofFrame frame: Int) -> Int { 32 + frame * (24 + pageSize) }

    func sum(_ data: [UInt8], from start: (UInt32, UInt32)) -> (UInt32, UInt32) {
        var (a, b) = start
        for i in stride(from: 0, to: data.count, by: 8) {
            let x = word(data, i), y = word(data, i + 4)
            a = a &+ x &+ b
            b = b &+ y &+ a
        }
        return (a, b)
    }

    func word(_ d: [UInt8], _ i: Int) -> UInt32 {
        let v = [UInt32(d[i]), UInt32(d[i + 1]), UInt32(d[i + 2]), UInt32(d[i + 3])]
        return bigEndian ? v[0] << 24 | v[1] << 16 | v[2] << 8 | v[3] : v[3] << 24 | v[2] << 16 | v[1] << 8 | v[0]
    }

    static func be(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }
}

@Suite struct WALCheckTests {
    /// Four frames, two transactions: pages 1-2 (commit at frame 2), pages 3-4 (commit at frame 4).
    static func twoTransactions(bigEndian: Bool = false) -> WALBuilder {
        var wal = WALBuilder(bigEndian: bigEndian)
        wal.frame(page: 1, fill: 0xa1)
        wal.frame(page: 2, commit: 2, fill: 0xa2)
        wal.frame(page: 3, fill: 0xa3)
        wal.frame(page: 4, commit: 4, fill: 0xa4)
        return wal
    }

    /// Six frames, three transactions of two pages each (commits at frames 2, 4 and 6).
    static func threeTransactions() -> WALBuilder {
        var wal = WALBuilder()
        for page in UInt32(1)...6 { wal.frame(page: page, commit: page % 2 == 0 ? page : 0, fill: UInt8(0xa0 + page)) }
        return wal
    }

    static func damaging(_ wal: WALBuilder, frame: Int, at offset: Int = 24 + 100) -> [UInt8] {
        var bytes = wal.bytes
        bytes[wal.offset(ofFrame: frame) + offset] ^= 0xff
        return bytes
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let bytes: [UInt8]
        let frames: Int
        let intact: Int
        let replayed: Int
        /// Words the problem must hold; nil: no problem.
        let problem: [String]?
        var testDescription: String { name }
    }

    static let cases: [Case] = {
        let sound = twoTransactions()
        let three = threeTransactions()
        var uncommittedTail = twoTransactions()
        uncommittedTail.frame(page: 5, fill: 0xa5)
        uncommittedTail.frame(page: 6, fill: 0xa6)
        // An earlier generation of the log: after a reset SQLite writes from the start again with new
        // salts, so old frames (a commit among them) may follow the new ones.
        var stale = WALBuilder(salts: (0x1111_2221, 0x9999_9999))
        for page in UInt32(1)...6 { stale.frame(page: page, commit: page % 2 == 0 ? page : 0, fill: UInt8(page)) }
        var fresh = WALBuilder()
        fresh.frame(page: 1, commit: 1, fill: 0xb1)
        let generations = fresh.bytes + stale.bytes[fresh.bytes.count...]
        var badHeaderChecksum = sound.bytes
        badHeaderChecksum[29] ^= 0x01
        var noMagic = sound.bytes
        noMagic[0] = 0
        var badPageSize = sound.bytes
        badPageSize[8...11] = [0, 0, 3, 0]  // 768: not a power of two
        var version = WALBuilder()
        version.bytes[4...7] = [0, 0x2d, 0xe2, 0x19]  // 3007001
        let headerSum = version.sum(Array(version.bytes[0..<24]), from: (0, 0))
        version.bytes[24..<32] = ArraySlice(WALBuilder.be(headerSum.0) + WALBuilder.be(headerSum.1))
        version.running = headerSum
        version.frame(page: 1, commit: 1, fill: 1)
        return [
            Case(name: "empty file", bytes: [], frames: 0, intact: 0, replayed: 0, problem: nil),
            Case(name: "header cut short", bytes: Array(sound.bytes[0..<20]), frames: 0, intact: 0, replayed: 0, problem: nil),
            Case(name: "header only", bytes: Array(sound.bytes[0..<32]), frames: 0, intact: 0, replayed: 0, problem: nil),
            Case(name: "two transactions", bytes: sound.bytes, frames: 4, intact: 4, replayed: 4, problem: nil),
            Case(name: "big-endian checksums", bytes: twoTransactions(bigEndian: true).bytes, frames: 4, intact: 4, replayed: 4, problem: nil),
            Case(
                name: "torn last frame (crash mid-write)", bytes: Array(sound.bytes.dropLast(300)), frames: 3, intact: 3, replayed: 2,
                problem: nil),
            Case(name: "last frame damaged", bytes: damaging(sound, frame: 3), frames: 4, intact: 3, replayed: 2, problem: nil),
            Case(name: "the first commit frame damaged before a later commit", bytes: damaging(sound, frame: 1), frames: 4, intact: 1, replayed: 0,
                problem: ["frame 2 of 4 fails its checksum", "commit frame 4", "every transaction in it"]),
            Case(name: "a frame header damaged between two commits", bytes: damaging(sound, frame: 2, at: 5), frames: 4, intact: 2,
                replayed: 2, problem: ["frame 3 of 4 fails", "commit frame 4", "committed after frame 2"]),
            Case(name: "damage in big-endian log", bytes: damaging(twoTransactions(bigEndian: true), frame: 0), frames: 4, intact: 0,
                replayed: 0, problem: ["frame 1 of 4", "commit frame 4"]),
            Case(name: "damage in the second of three transactions", bytes: damaging(three, frame: 2), frames: 6, intact: 2,
                replayed: 2, problem: ["frame 3 of 6 fails", "commit frame 6", "committed after frame 2"]),
            Case(name: "a checksum field damaged before later transactions", bytes: damaging(three, frame: 1, at: 17), frames: 6,
                intact: 1, replayed: 0, problem: ["frame 2 of 6 fails", "commit frame 4"]),
            // What SQLite leaves when it dies committing a transaction that rewrote a spilled page:
            // the page rewritten, the commit frame written, the checksums not yet recomputed.
            Case(name: "a break inside the last transaction", bytes: damaging(sound, frame: 2), frames: 4, intact: 2, replayed: 2,
                problem: nil),
            Case(name: "damage before an uncommitted tail", bytes: damaging(uncommittedTail, frame: 4), frames: 6, intact: 4, replayed: 4,
                problem: nil),
            Case(name: "an earlier generation's frames follow", bytes: generations, frames: 6, intact: 1, replayed: 1, problem: nil),
            Case(name: "header checksum wrong", bytes: badHeaderChecksum, frames: 4, intact: 0, replayed: 0,
                problem: ["header fails its checksum", "commit frame 2"]),
            Case(name: "magic number gone", bytes: noMagic, frames: 4, intact: 0, replayed: 0, problem: ["no WAL magic", "commit frame 2"]),
            Case(name: "page size unusable", bytes: badPageSize, frames: 0, intact: 0, replayed: 0, problem: nil),
            Case(name: "unknown format version", bytes: version.bytes, frames: 1, intact: 0, replayed: 0, problem: ["format 3007001", "will not open"]),
        ]
    }()

    @Test(arguments: cases) func judgesLikeSQLite(_ c: Case) {
        let check = WALCheck(c.bytes)
        #expect(check.frames == c.frames)
        #expect(check.intactFrames == c.intact)
        #expect(check.replayedFrames == c.replayed)
        if let words = c.problem {
            let problem = check.problem ?? ""
            for word in words { #expect(problem.contains(word), "\(problem)") }
        } else {
            #expect(check.problem == nil)
        }
    }

    /// Every byte of a log in turn: damage before the last transaction is found, in the last frame
    /// it is not, a log cut at any length is not damaged, and nothing crashes.
    @Test func everyByteFlippedAndEveryLength() {
        let wal = Self.threeTransactions()
        let lastTransaction = wal.offset(ofFrame: 4)
        for index in wal.bytes.indices {
            var bytes = wal.bytes
            bytes[index] ^= 0xff
            let problem = WALCheck(bytes).problem
            if index >= 32 && index < lastTransaction {
                #expect(problem != nil, "byte \(index)")
            } else if index >= wal.offset(ofFrame: 5) {
                #expect(problem == nil, "byte \(index): \(problem ?? "")")
            } else if index < 8 || (12..<16).contains(index) || (24..<32).contains(index) {
                #expect(problem != nil, "header byte \(index)")  // magic, version, sequence, checksum
            }
        }
        for length in 0...wal.bytes.count {
            #expect(WALCheck(Array(wal.bytes[0..<length])).problem == nil, "length \(length)")
        }
    }

    /// The checksum is SQLite's own: a log SQLite wrote (its database still open, so not yet
    /// checkpointed away) passes whole, and damage in its first frame is found by the store.
    @Test func aLogSQLiteWroteIsReadWholeAndItsDamageRefused() throws {
        var template = Array("/tmp/gridwal-XXXXXX".utf8CString)
        let directory = String(cString: try #require(mkdtemp(&template)))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pool = try DatabasePool(path: directory + "/live.sqlite")
        try pool.write { try $0.execute(sql: "CREATE TABLE t(x)") }
        for i in 0..<5 { try pool.write { try $0.execute(sql: "INSERT INTO t VALUES (?)", arguments: [String(repeating: "x", count: 100 * i)]) } }
        let wal = [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/live.sqlite-wal")))
        let main = try Data(contentsOf: URL(fileURLWithPath: directory + "/live.sqlite"))
        let check = WALCheck(wal)
        #expect(check.frames >= 6 && check.intactFrames == check.frames && check.replayedFrames == check.frames)
        #expect(check.problem == nil)

        // A copy with the first frame's page damaged: the five commits after it would be dropped.
        var damaged = wal
        damaged[32 + 24 + 50] ^= 0xff
        try main.write(to: URL(fileURLWithPath: directory + "/copy.sqlite"))
        try Data(damaged).write(to: URL(fileURLWithPath: directory + "/copy.sqlite-wal"))
        let error = #expect(throws: GridError.self) { try GridDatabase.checkIntegrity(path: directory + "/copy.sqlite") }
        #expect(error?.code == .storeDamaged)
        #expect(error?.message.contains("copy.sqlite is damaged (its write-ahead log \(directory)/copy.sqlite-wal: frame 1 of") == true, "\(error?.message ?? "")")
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/copy.sqlite-wal")) == Data(damaged))
        try pool.close()
    }
}
