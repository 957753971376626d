#if canImport(Glibc)
import Glibc
#endif
import GridCore
import NIOCore
import Testing

@testable import GridNode

@Suite struct ListenFailureTests {
    static let address = HostPort(host: "10.9.9.9", port: 7000)

    @Test(arguments: [
        (EADDRINUSE, "cannot listen on 10.9.9.9:7000: the port is in use (is another node running there?); choose another with --listen"),
        (EADDRNOTAVAIL, "cannot listen on 10.9.9.9:7000: 10.9.9.9 is not an address of this machine; use one of its addresses, 127.0.0.1 or 0.0.0.0"),
        (EACCES, "cannot listen on 10.9.9.9:7000: not allowed (ports below 1024 need privileges); choose a port of 1024 or more"),
    ])
    func eachFailureSaysWhatToDo(_ code: Int32, _ message: String) {
        #expect(PeerTransport.listenFailure(Self.address, IOError(errnoCode: code, reason: "bind")) == message)
    }

    @Test func anUnknownHostIsNamed() async {
        let host = HostPort(host: "no.such.host.invalid", port: 0)
        await #expect(throws: GridError(.listenFailed, "cannot listen on \(host): the host name no.such.host.invalid does not resolve; give an IP address, such as 127.0.0.1 or 0.0.0.0")) {
            _ = try await PeerTransport.listen(on: host, maxFrameBytes: 1024, faults: FaultSwitch(allowed: false))
        }
    }
}
