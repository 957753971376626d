import Foundation
import GridCore
import GridCrypto
import GridWire
import Testing

@Suite struct HandshakeMachineTests {
    let alice = SigningIdentity()
    let bob = SigningIdentity()

    func machine(
        _ identity: SigningIdentity, dialer: Bool, network: String = "main", expecting: NodeID? = nil,
        versions: ClosedRange<UInt32> = HandshakeMachine.supportedVersions
    ) -> HandshakeMachine {
        var configuration = HandshakeMachine.Configuration(
            identity: identity, isDialer: dialer, networkID: network, listenAddress: "127.0.0.1:7401", expectedPeer: expecting)
        configuration.versions = versions
        return HandshakeMachine(configuration, ephemeral: EphemeralKeyPair())
    }

    func sent(_ actions: [HandshakeMachine.Action]) -> [Grid_V1_Frame] {
        actions.compactMap { if case .send(let frame) = $0 { frame } else { nil } }
    }

    func failure(_ actions: [HandshakeMachine.Action]) -> (code: Grid_V1_ErrorCode, message: String)? {
        actions.compactMap { action -> (code: Grid_V1_ErrorCode, message: String)? in
            if case .fail(let error, let reason) = action { (reason, error.message) } else { nil }
        }.first
    }

    func sendKey(_ actions: [HandshakeMachine.Action]) -> [UInt8]? {
        actions.compactMap { if case .startEncrypting(let key) = $0 { key } else { nil } }.first
    }

    func established(_ actions: [HandshakeMachine.Action]) -> (HandshakeMachine.Peer, [UInt8])? {
        actions.compactMap { if case .established(let peer, let key) = $0 { (peer, key) } else { nil } }.first
    }

    @Test func bothSidesProveTheirKeysAndAgreeOnChannelKeys() throws {
        var a = machine(alice, dialer: true, expecting: bob.nodeID)
        var b = machine(bob, dialer: false)
        let helloA = try #require(sent(a.start()).first)
        let helloB = try #require(sent(b.start()).first)
        let afterHelloA = a.receive(helloB)
        let afterHelloB = b.receive(helloA)
        let aSends = try #require(sendKey(afterHelloA))
        let bSends = try #require(sendKey(afterHelloB))
        #expect(aSends != bSends)
        let proofB = try #require(sent(afterHelloB).first)
        let proofA = try #require(sent(afterHelloA).first)
        let (peerOfA, aReceives) = try #require(established(a.receive(proofB)))
        let (peerOfB, bReceives) = try #require(established(b.receive(proofA)))
        #expect(peerOfA == .init(nodeID: bob.nodeID, listenAddress: "127.0.0.1:7401", version: 1))
        #expect(peerOfB.nodeID == alice.nodeID)
        #expect(aReceives == bSends && bReceives == aSends)
        #expect(a.isEstablished && b.isEstablished)
        #expect(a.deadlinePassed().isEmpty)
    }

    @Test func aNewerNodesHelloWithUnknownFieldsIsAccepted() throws {
        // Alice is a newer node, built by hand as another implementation would be: her Hello
        // carries field 99, unknown here. It is ignored, yet covered by the transcript she signs.
        let ephemeral = EphemeralKeyPair()
        var hello = Grid_V1_Hello()
        hello.protocolVersion = 1
        hello.nodeID = Data(alice.nodeID.bytes)
        hello.ephemeralKey = Data(ephemeral.publicKey)
        hello.networkID = "main"
        let helloBytes: [UInt8] = try hello.serializedBytes() + [0x98, 0x06, 0x01]
        var b = machine(bob, dialer: false)
        let helloB = try #require(sent(b.start()).first)
        let afterHello = b.receive(.with { $0.hello = Data(helloBytes) })
        #expect(failure(afterHello) == nil)
        let transcript = HandshakeProof.transcriptHash(dialerHello: helloBytes, listenerHello: Array(helloB.hello))
        let proof = alice.sign(HandshakeProof.signedBytes(transcriptHash: transcript, signerDialed: true))
        let (peer, receiveKey) = try #require(established(b.receive(.with { $0.helloProof = .with { $0.signature = Data(proof) } })))
        #expect(peer.nodeID == alice.nodeID)
        // And Alice derives the same keys from the same transcript.
        let keys = try HandshakeProof.channelKeys(
            ephemeral: ephemeral, peerEphemeral: Array(try Grid_V1_Hello(serializedBytes: helloB.hello).ephemeralKey), asDialer: true,
            transcriptHash: transcript)
        #expect(keys.send == receiveKey)
    }

    @Test func freshEphemeralKeysGiveFreshChannelKeys() throws {
        func handshakeKey() throws -> [UInt8] {
            var a = machine(alice, dialer: true)
            var b = machine(bob, dialer: false)
            let helloA = try #require(sent(a.start()).first)
            _ = b.start()
            return try #require(sendKey(b.receive(helloA)))
        }
        #expect(try handshakeKey() != handshakeKey())
    }

    @Test func aPeerPresentingAKeyItCannotSignForIsRefused() throws {
        // Mallory names Bob's public key in her Hello but holds only her own secret key.
        let mallory = SigningIdentity()
        var a = machine(alice, dialer: false)
        var m = machine(mallory, dialer: true)
        let helloA = try #require(sent(a.start()).first)
        var helloM = try #require(sent(m.start()).first)
        var hello = try Grid_V1_Hello(serializedBytes: helloM.hello)
        hello.nodeID = Data(bob.nodeID.bytes)
        helloM.hello = try hello.serializedBytes()
        _ = a.receive(helloM)
        let proof = try #require(sent(m.receive(helloA)).first)
        let actions = a.receive(proof)
        #expect(failure(actions)?.code == .badProof)
        #expect(sent(actions).first?.error.code == .badProof)
        #expect(!a.isEstablished)
    }

    @Test func aProofIsNotValidForTheOtherRole() throws {
        // Reflecting Alice's own proof back at her fails: the role byte differs.
        var a = machine(alice, dialer: true)
        var b = machine(bob, dialer: false)
        _ = a.start()
        let helloB = try #require(sent(b.start()).first)
        let proofA = try #require(sent(a.receive(helloB)).first)
        #expect(failure(a.receive(proofA))?.code == .badProof)
    }

    @Test func pinnedKeyMismatchIsRefusedWithBothKeys() throws {
        var a = machine(alice, dialer: true, expecting: SigningIdentity().nodeID)
        var b = machine(bob, dialer: false)
        _ = a.start()
        let helloB = try #require(sent(b.start()).first)
        let refused = try #require(failure(a.receive(helloB)))
        #expect(refused.code == .pinnedKey)
        #expect(refused.message.contains(bob.nodeID.hex))
    }

    @Test func anotherNetworkIsRefusedNamingBoth() throws {
        var a = machine(alice, dialer: true, network: "main")
        var b = machine(bob, dialer: false, network: "lab")
        _ = a.start()
        let helloB = try #require(sent(b.start()).first)
        let refused = try #require(failure(a.receive(helloB)))
        #expect(refused.code == .wrongNetwork)
        #expect(refused.message.contains("'main'") && refused.message.contains("'lab'"))
    }

    @Test(arguments: [
        (1...1 as ClosedRange<UInt32>, 2...3 as ClosedRange<UInt32>, false),
        (1...2, 2...3, true),
        (1...5, 3...3, true),
        (4...4, 1...3, false),
    ])
    func versionsAreNegotiated(_ ours: ClosedRange<UInt32>, _ theirs: ClosedRange<UInt32>, _ compatible: Bool) throws {
        var a = machine(alice, dialer: true, versions: ours)
        var b = machine(bob, dialer: false, versions: theirs)
        _ = a.start()
        let actions = a.receive(try #require(sent(b.start()).first))
        if compatible {
            #expect(failure(actions) == nil)
        } else {
            let refused = try #require(failure(actions))
            #expect(refused.code == .protocolVersion)
            #expect(refused.message.contains("\(ours.upperBound)") && refused.message.contains("\(theirs.upperBound)"))
        }
    }

    @Test func inconsistentVersionsAreMalformedNotACrash() throws {
        var a = machine(alice, dialer: true)
        _ = a.start()
        var hello = Grid_V1_Hello()
        hello.protocolVersion = 1
        hello.minProtocolVersion = 5
        hello.nodeID = Data(bob.nodeID.bytes)
        hello.ephemeralKey = Data(EphemeralKeyPair().publicKey)
        hello.networkID = "main"
        let frame = Grid_V1_Frame.with { $0.hello = try! hello.serializedBytes() }
        #expect(failure(a.receive(frame))?.code == .malformed)
    }

    @Test func dialingItselfIsRefused() throws {
        var a = machine(alice, dialer: true)
        var again = machine(alice, dialer: false)
        _ = a.start()
        #expect(failure(a.receive(try #require(sent(again.start()).first)))?.code == .selfConnection)
    }

    @Test(arguments: [
        Grid_V1_Frame.with { $0.helloProof = .init() },
        Grid_V1_Frame.with { $0.envelope = .init() },
        Grid_V1_Frame(),
        Grid_V1_Frame.with { $0.hello = Data([0xff, 0xff]) },
        Grid_V1_Frame.with { $0.hello = try! Grid_V1_Hello.with { $0.protocolVersion = 1; $0.nodeID = Data([1]); $0.networkID = "main" }.serializedBytes() },
    ])
    func anythingButAValidHelloFirstIsRefused(_ frame: Grid_V1_Frame) {
        var a = machine(alice, dialer: true)
        _ = a.start()
        #expect(failure(a.receive(frame))?.code == .malformed)
    }

    @Test func peerErrorEndsTheHandshake() {
        var a = machine(alice, dialer: true)
        _ = a.start()
        let actions = a.receive(.with { $0.error = .with { $0.code = .pinnedKey; $0.message = "not you" } })
        #expect(failure(actions)?.code == .pinnedKey)
        #expect(sent(actions).isEmpty)
    }

    @Test func deadlineFailsAnUnfinishedHandshake() {
        var a = machine(alice, dialer: true)
        _ = a.start()
        #expect(failure(a.deadlinePassed())?.code == .handshakeTimeout)
        #expect(a.receive(.with { $0.helloProof = .init() }).isEmpty)
    }
}
