/// A write-ahead log (`grid.sqlite-wal`) read as SQLite's recovery reads it
/// (https://www.sqlite.org/fileformat2.html#walformat), to find the damage SQLite hides.
///
/// SQLite replays frames from the first one while each passes its checksum, up to the last commit
/// among them, and silently drops the rest. After a crash that is right: the last frames may be
/// torn. But when a frame in the middle is damaged, every transaction committed after it is lost
/// without a word. So the log is damaged when a frame fails (or the header does) and a *later*
/// commit frame with the header's salts stands on its own: its checksum matches when summed on
/// from the checksum its predecessor carries (the predecessor's page was hit) or from the sum
/// over every frame before it (the predecessor's checksum field was hit). A frame cut short by a
/// crash, frames of an earlier generation of the log (other salts), or frames of a transaction
/// never committed are not damage.
///
/// One more case is not taken for damage: a break inside the *last* transaction of the log, whose
/// commit frame stands. SQLite leaves exactly that when the process dies while it commits a
/// transaction that rewrote a page it had spilled to the log (it rewrites the page, writes the
/// commit frame, then recomputes the checksums): that transaction was never committed. So a frame
/// after the break counts only when a commit frame lies between the break and it (the broken
/// frame itself included), that is, when a whole transaction after the break was committed and
/// another began. After a broken header every intact commit frame counts.
public struct WALCheck: Equatable, Sendable {
    public static let headerSize = 32
    public static let frameHeaderSize = 24
    public static let magic: UInt32 = 0x377f_0682
    public static let version: UInt32 = 3_007_000

    /// The page size the header gives; nil when it is not one SQLite accepts (then no frame can be
    /// found and SQLite ignores the log).
    public let pageSize: Int?
    /// Complete frames in the file (a torn last frame is not counted).
    public let frames: Int
    /// Frames that pass in a row from the first: what SQLite reads.
    public let intactFrames: Int
    /// Frames SQLite replays: the intact ones up to the last commit among them.
    public let replayedFrames: Int
    /// Why committed data would be lost, or nil when none would be.
    public let problem: String?

    public init(_ bytes: [UInt8]) {
        let log = Log(bytes: bytes)
        guard bytes.count >= Self.headerSize, let pageSize = log.pageSize else {
            self.init(pageSize: nil, frames: 0, intactFrames: 0, replayedFrames: 0, problem: nil)
            return
        }
        let frames = (bytes.count - Self.headerSize) / (Self.frameHeaderSize + pageSize)
        var headerProblem: String?
        var unknownVersion = false
        if !log.hasMagic {
            headerProblem = "its header has no WAL magic number"
        } else if log.computedHeaderChecksum != log.storedHeaderChecksum {
            headerProblem = "its header fails its checksum"
        } else if log.be32(4) != Self.version {
            headerProblem = "its header names WAL format \(log.be32(4)), not \(Self.version)"
            unknownVersion = true
        }
        let standing = log.framesStanding(frames, pageSize: pageSize, bigEndian: log.bigEndianChecksums)
        // SQLite reads the frames that stand in a row from the first: each one's predecessors are
        // all sound, so both ways of checking it agree with SQLite's one.
        let intact = headerProblem == nil ? standing.firstIndex(of: false) ?? frames : 0
        // With a broken header the byte order may be what broke: try the other one too.
        let other = headerProblem == nil ? nil : log.framesStanding(frames, pageSize: pageSize, bigEndian: !log.bigEndianChecksums)
        let lastCommit = (0..<intact).last { log.isCommit($0, pageSize: pageSize) }
        let replayed = lastCommit.map { $0 + 1 } ?? 0
        // The first frame SQLite does not read: the first one that fails, or frame 0 after a bad header.
        let brokenAt = headerProblem == nil ? intact : -1
        var committedBeyond: Int?
        var transactionEnded = brokenAt < 0 || (brokenAt < frames && log.isCommit(brokenAt, pageSize: pageSize))
        for frame in min(brokenAt + 1, frames)..<frames where log.isCommit(frame, pageSize: pageSize) {
            if transactionEnded, standing[frame] || other?[frame] == true {
                committedBeyond = frame
                break
            }
            transactionEnded = true
        }
        var problem: String?
        if unknownVersion, let headerProblem {
            problem = "\(headerProblem): SQLite will not open the database with it"
        } else if let committed = committedBeyond {
            let what = headerProblem ?? "frame \(brokenAt + 1) of \(frames) fails its checksum"
            let lost = replayed == 0 ? "every transaction in it" : "every transaction committed after frame \(replayed)"
            problem = "\(what), yet commit frame \(committed + 1) after it is intact: SQLite would silently drop \(lost)"
        }
        self.init(pageSize: pageSize, frames: frames, intactFrames: intact, replayedFrames: replayed, problem: problem)
    }

    init(pageSize: Int?, frames: Int, intactFrames: Int, replayedFrames: Int, problem: String?) {
        self.pageSize = pageSize
        self.frames = frames
        self.intactFrames = intactFrames
        self.replayedFrames = replayedFrames
        self.problem = problem
    }

    /// SQLite's checksum: pairs of 32-bit words (big-endian or little-endian as the magic number
    /// says), added into two running sums. `bytes.count` is a multiple of 8.
    public static func checksum(_ bytes: ArraySlice<UInt8>, from start: (UInt32, UInt32), bigEndian: Bool) -> (UInt32, UInt32) {
        var (s1, s2) = start
        var index = bytes.startIndex
        while index + 8 <= bytes.endIndex {
            s1 = s1 &+ word(bytes, at: index, bigEndian: bigEndian) &+ s2
            s2 = s2 &+ word(bytes, at: index + 4, bigEndian: bigEndian) &+ s1
            index += 8
        }
        return (s1, s2)
    }

    static func word(_ bytes: ArraySlice<UInt8>, at index: Int, bigEndian: Bool) -> UInt32 {
        let b = (UInt32(bytes[index]), UInt32(bytes[index + 1]), UInt32(bytes[index + 2]), UInt32(bytes[index + 3]))
        return bigEndian ? b.0 << 24 | b.1 << 16 | b.2 << 8 | b.3 : b.3 << 24 | b.2 << 16 | b.1 << 8 | b.0
    }

    /// The raw log with its header's fields.
    struct Log {
        let bytes: [UInt8]

        func be32(_ offset: Int) -> UInt32 { WALCheck.word(bytes[...], at: offset, bigEndian: true) }

        var hasMagic: Bool { be32(0) & ~1 == WALCheck.magic }
        var bigEndianChecksums: Bool { be32(0) & 1 == 1 }
        var storedHeaderChecksum: (UInt32, UInt32) { (be32(24), be32(28)) }
        var computedHeaderChecksum: (UInt32, UInt32) {
            WALCheck.checksum(bytes[0..<24], from: (0, 0), bigEndian: bigEndianChecksums)
        }

        /// A power of two from 512 to 65536.
        var pageSize: Int? {
            let size = Int(be32(8))
            return size >= 512 && size <= 65536 && size & (size - 1) == 0 ? size : nil
        }

        func frameOffset(_ frame: Int, pageSize: Int) -> Int {
            WALCheck.headerSize + frame * (WALCheck.frameHeaderSize + pageSize)
        }

        func isCommit(_ frame: Int, pageSize: Int) -> Bool {
            be32(frameOffset(frame, pageSize: pageSize) + 4) != 0
        }

        /// For each of the first `frames` frames: it carries the header's salts and a page number,
        /// and the checksum it carries is what its first 8 header bytes and page give when summed
        /// on from the checksum its predecessor carries, or from the sum over all frames before it
        /// (both start from the header's stored checksum).
        func framesStanding(_ frames: Int, pageSize: Int, bigEndian: Bool) -> [Bool] {
            var standing: [Bool] = []
            standing.reserveCapacity(frames)
            var running = storedHeaderChecksum
            var previousStored = storedHeaderChecksum
            for frame in 0..<frames {
                let offset = frameOffset(frame, pageSize: pageSize)
                let stored = storedChecksum(at: offset)
                let fromRunning = frameSum(at: offset, pageSize: pageSize, from: running, bigEndian: bigEndian)
                let fromStored =
                    previousStored == running ? fromRunning : frameSum(at: offset, pageSize: pageSize, from: previousStored, bigEndian: bigEndian)
                let marked = bytes[offset + 8..<offset + 16] == bytes[16..<24] && be32(offset) != 0
                standing.append(marked && (stored == fromRunning || stored == fromStored))
                running = fromRunning
                previousStored = stored
            }
            return standing
        }

        func frameSum(at offset: Int, pageSize: Int, from start: (UInt32, UInt32), bigEndian: Bool) -> (UInt32, UInt32) {
            let header = WALCheck.checksum(bytes[offset..<offset + 8], from: start, bigEndian: bigEndian)
            let page = offset + WALCheck.frameHeaderSize
            return WALCheck.checksum(bytes[page..<page + pageSize], from: header, bigEndian: bigEndian)
        }

        func storedChecksum(at frameOffset: Int) -> (UInt32, UInt32) { (be32(frameOffset + 16), be32(frameOffset + 20)) }
    }
}
