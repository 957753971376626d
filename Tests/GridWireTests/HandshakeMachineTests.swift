import Foundation
import GridCore
import GridCrypto
import GridWire
import Testing

@Suite struct HandshakeMachineTests {
    let alice = SigningIdentity()
    let bob = SigningIdentity()

    func machine(_ identity: SigningIdentity, expecting: NodeID? = nil, byte: UInt8 = 1) -> HandshakeMachine {
        HandshakeMachine(
            identity: identity, challenge: [UInt8](repeating: byte, count: 32), listenAddress: "127.0.0.1:7401", expectedPeer: expecting)
    }

    func sent(_ actions: [HandshakeMachine.Action]) -> [Grid_V1_Frame] {
        actions.compactMap { if case .send(let frame) = $0 { frame } else { nil } }
    }

    func failure(_ actions: [HandshakeMachine.Action]) -> Grid_V1_ErrorCode? {
        actions.compactMap { if case .fail(_, let reason) = $0 { reason } else { nil } }.first
    }

    @Test func bothSidesProveTheirKeys() throws {
        var a = machine(alice, expecting: bob.nodeID, byte: 1)
        var b = machine(bob, byte: 2)
        let helloA = try #require(sent(a.start()).first)
        let helloB = try #require(sent(b.start()).first)
        let proofA = try #require(sent(a.receive(helloB)).first)
        let proofB = try #require(sent(b.receive(helloA)).first)
        #expect(a.receive(proofB) == [.established(.init(nodeID: bob.nodeID, listenAddress: "127.0.0.1:7401"))])
        #expect(b.receive(proofA) == [.established(.init(nodeID: alice.nodeID, listenAddress: "127.0.0.1:7401"))])
        #expect(a.isEstablished && b.isEstablished)
        #expect(a.deadlinePassed().isEmpty)
    }

    @Test func aPeerPresentingAKeyItCannotSignForIsRefused() throws {
        // Mallory claims Bob's public key but holds only her own secret key.
        let mallory = SigningIdentity()
        var a = machine(alice)
        var m = machine(mallory, byte: 3)
        let helloA = try #require(sent(a.start()).first)
        var helloM = try #require(sent(m.start()).first)
        helloM.hello.nodeID = Data(bob.nodeID.bytes)
        _ = a.receive(helloM)
        let proof = try #require(sent(m.receive(helloA)).first)
        let actions = a.receive(proof)
        #expect(failure(actions) == .badProof)
        #expect(sent(actions).first?.error.code == .badProof)
        #expect(!a.isEstablished)
    }

    @Test func pinnedKeyMismatchIsRefusedWithBothKeys() throws {
        var a = machine(alice, expecting: SigningIdentity().nodeID)
        var b = machine(bob, byte: 2)
        _ = a.start()
        let actions = a.receive(try #require(sent(b.start()).first))
        #expect(failure(actions) == .pinnedKey)
        guard case .fail(let error, _)? = actions.last else { return }
        #expect(error.message.contains(bob.nodeID.hex))
    }

    @Test func dialingItselfIsRefused() throws {
        var a = machine(alice)
        var again = machine(alice, byte: 2)
        _ = a.start()
        #expect(failure(a.receive(try #require(sent(again.start()).first))) == .selfConnection)
    }

    @Test func anotherProtocolVersionIsRefusedNamingBoth() throws {
        var a = machine(alice)
        var b = machine(bob, byte: 2)
        _ = a.start()
        var hello = try #require(sent(b.start()).first)
        hello.hello.protocolVersion = 9
        let actions = a.receive(hello)
        #expect(failure(actions) == .protocolVersion)
        guard case .fail(let error, _)? = actions.last else { return }
        #expect(error.message.contains("9") && error.message.contains("version 1"))
    }

    @Test(arguments: [
        Grid_V1_Frame.with { $0.helloProof = .init() },
        Grid_V1_Frame.with { $0.envelope = .init() },
        Grid_V1_Frame(),
        Grid_V1_Frame.with { $0.hello = .with { $0.protocolVersion = 1; $0.nodeID = Data([1]) } },
    ])
    func anythingButAValidHelloFirstIsRefused(_ frame: Grid_V1_Frame) {
        var a = machine(alice)
        _ = a.start()
        #expect(failure(a.receive(frame)) == .malformed)
    }

    @Test func peerErrorEndsTheHandshake() {
        var a = machine(alice)
        _ = a.start()
        let actions = a.receive(.with { $0.error = .with { $0.code = .pinnedKey; $0.message = "not you" } })
        #expect(failure(actions) == .pinnedKey)
        #expect(sent(actions).isEmpty)
    }

    @Test func deadlineFailsAnUnfinishedHandshake() {
        var a = machine(alice)
        _ = a.start()
        #expect(failure(a.deadlinePassed()) == .handshakeTimeout)
        #expect(a.receive(.with { $0.helloProof = .init() }).isEmpty)
    }
}
