import Foundation
import GridLocalAPI

#if canImport(Glibc)
import Glibc
#endif

/// Shows a task's events on stderr while `submit --wait` or `task --follow` waits: on a terminal
/// one line redrawn in place (a bar when the executor reports a fraction), else one plain line per
/// event. stdout keeps only the output.
final class ProgressDisplay: @unchecked Sendable {
    private let onTerminal: Bool
    private let lock = NSLock()
    private var drawn = false

    init(onTerminal: Bool = isatty(STDERR_FILENO) != 0) {
        self.onTerminal = onTerminal
    }

    func show(_ event: TaskEventView) {
        guard let text = onTerminal ? Self.status(event) : Self.line(event) else { return }
        lock.lock()
        defer { lock.unlock() }
        if onTerminal {
            // Redraw in place; the final event leaves its line behind.
            Console.error("\r\u{1B}[2K" + text + (event.isFinal ? "\n" : ""))
            drawn = !event.isFinal
        } else {
            Console.error(text + "\n")
        }
    }

    /// Ends a line left drawn (the task ended without a final event reaching us).
    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if drawn { Console.error("\n") }
        drawn = false
    }

    /// One plain line for `event`, for logs and pipes.
    static func line(_ event: TaskEventView) -> String? {
        let on = event.nodeId.map { " " + short($0) } ?? ""
        switch event.kind {
        case .submitted: return "submitted"
        case .queued: return "queued on\(on)"
        case .sent: return "sent to\(on)"
        case .accepted: return "accepted by\(on)" + (event.queuePosition.map { $0 > 0 ? " (\($0) ahead)" : "" } ?? "")
        case .started: return "started on\(on)"
        case .progress:
            let percent = event.fraction.map { String(format: "%.0f%%", $0 * 100) }
            return "progress on\(on): " + [percent, event.message].compactMap { $0 }.joined(separator: " ")
        case .retrying: return "retrying: the attempt on\(on) ended with \(event.message ?? "a failure")"
        case .verifying: return "verifying: \(event.message ?? "one more run")"
        case .succeeded: return "succeeded on\(on)"
        case .failed: return "failed: \(event.code ?? "error"): \(event.message ?? "")"
        }
    }

    /// The status line for a terminal: a bar when there is a fraction.
    static func status(_ event: TaskEventView) -> String? {
        guard event.kind == .progress else { return line(event) }
        let on = event.nodeId.map { " on " + short($0) } ?? ""
        let shown = event.fraction.map { Self.bar($0) + String(format: " %3.0f%%", $0 * 100) } ?? "[working]"
        return shown + on + (event.message.map { " " + $0 } ?? "")
    }

    /// `[#####-----]`, `width` cells.
    static func bar(_ fraction: Double, width: Int = 24) -> String {
        let done = Int((min(1, max(0, fraction)) * Double(width)).rounded())
        return "[" + String(repeating: "#", count: done) + String(repeating: "-", count: width - done) + "]"
    }

    static func short(_ nodeID: String) -> String { String(nodeID.prefix(8)) }
}
