import Foundation
import GridCore
import Logging

/// Writes the node's metrics snapshot to `DIR/metrics.json` every `metricsSnapshotIntervalMs`,
/// atomically (a temporary file, then a rename), so a reader never sees half a file.
enum MetricsSnapshotWriter {
    static func run(path: String, intervalMs: Int, snapshot: @Sendable () async -> MetricsSnapshot, logger: Logger) async {
        while (try? await Task.sleep(for: .milliseconds(intervalMs))) != nil {
            do {
                try write(await snapshot(), to: path)
            } catch {
                logger.warning("could not write the metrics snapshot to \(path): \(error); check the data directory's free space")
            }
        }
    }

    static func write(_ snapshot: MetricsSnapshot, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(snapshot).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
