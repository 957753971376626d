import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Where `gridnode load` shows its progress: on a terminal one line on stderr redrawn in place
/// every 250 ms; otherwise (a pipe, a log) a plain line every 5 s.
struct LoadProgressDisplay: Sendable {
    let onTerminal: Bool

    init(onTerminal: Bool = isatty(STDERR_FILENO) != 0) {
        self.onTerminal = onTerminal
    }

    var interval: Duration { onTerminal ? .milliseconds(250) : .seconds(5) }

    func show(_ line: String) {
        Console.error(onTerminal ? "\r\u{1B}[2K" + line : line + "\n")
    }

    /// The last line, left in place.
    func finish(_ line: String) {
        Console.error(onTerminal ? "\r\u{1B}[2K" + line + "\n" : line + "\n")
    }
}
