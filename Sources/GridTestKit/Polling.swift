/// Polls `condition` until it holds or `timeout` passes. For waiting on an event a test cannot
/// await directly (a connection forming); never for measuring time.
public func poll(
    timeout: Duration = .seconds(10), every interval: Duration = .milliseconds(20),
    _ what: @autoclosure () -> String, until condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw TestKitError("timed out after \(timeout) waiting for \(what())") }
        try await Task.sleep(for: interval)
    }
}

public struct TestKitError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

import GridLocalAPI

extension Array where Element == PeerView {
    /// The peers connected now ("alive" or "suspect"), without dials in progress or departed peers.
    public var connected: [PeerView] { filter { $0.state == "alive" || $0.state == "suspect" } }
}
