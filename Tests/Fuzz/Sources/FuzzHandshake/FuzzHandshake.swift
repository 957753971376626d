// libFuzzer target: HandshakeMachine, fed a sequence of frames as a peer would send them.
//
// Input layout:
//
//     byte 0      flags: bit 0 the machine under test dials (else it listens);
//                 bit 1 pin the peer's key (bit 2: pin a third key instead, which must be refused);
//                 bit 3 speak versions 1...2 instead of 1...1; bit 4 skip start()
//     then chunks u16 big-endian length ‖ bytes, at most 16:
//                 length > 0: the bytes are a frame body, parsed with PlainFrame.parse
//                 (one that does not parse becomes an empty Frame);
//                 length 0: the next byte picks a frame of a real peer machine:
//                 0 its Hello, 1 its HelloProof, 2 an Error frame, 3 our own Hello reflected,
//                 4 our own HelloProof reflected, else an empty Frame
//
// The machine under test and the real peer use the identities, ephemeral keys and addresses of
// Protocol/vectors/handshake.json (dialler seed 01…/ephemeral 11…, listener 02…/22…), so the
// vector's hello_frame and proof_frame bodies are valid chunks and the fuzzer starts from a
// handshake that completes. After the frames, deadlinePassed() is called.
//
// Checks: the machine never establishes with anyone but the real peer, and then with the keys
// the peer derived; after `fail` or `established` it does nothing more; start() runs once;
// deadlinePassed() fails exactly the handshakes that are still open.
import Foundation
import GridCore
import GridCrypto
import GridWire

private let dialerIdentity = try! SigningIdentity(seed: [UInt8](repeating: 0x01, count: 32))
private let listenerIdentity = try! SigningIdentity(seed: [UInt8](repeating: 0x02, count: 32))
private let strangerIdentity = try! SigningIdentity(seed: [UInt8](repeating: 0x03, count: 32))
private let dialerEphemeral = try! EphemeralKeyPair(seed: [UInt8](repeating: 0x11, count: 32))
private let listenerEphemeral = try! EphemeralKeyPair(seed: [UInt8](repeating: 0x22, count: 32))
private let networkID = "main"

private func configuration(dialer: Bool) -> HandshakeMachine.Configuration {
    HandshakeMachine.Configuration(
        identity: dialer ? dialerIdentity : listenerIdentity, isDialer: dialer, networkID: networkID,
        listenAddress: dialer ? "127.0.0.1:7401" : "127.0.0.1:7402")
}

/// What a real peer sends, and the keys it derives, for one configuration of the machine under test.
private struct PeerScript: Sendable {
    var ourHello: Grid_V1_Frame
    var ourProof: Grid_V1_Frame
    var peerHello: Grid_V1_Frame
    var peerProof: Grid_V1_Frame
    var peerSendKey: [UInt8]
    var peerID: NodeID
}

/// Runs a real handshake between two machines: the one the fuzzer will drive, and its peer.
private func script(dialer: Bool, wideVersions: Bool) -> PeerScript {
    var ourConfig = configuration(dialer: dialer)
    if wideVersions { ourConfig.versions = 1...2 }
    var us = HandshakeMachine(ourConfig, ephemeral: dialer ? dialerEphemeral : listenerEphemeral)
    var peer = HandshakeMachine(configuration(dialer: !dialer), ephemeral: dialer ? listenerEphemeral : dialerEphemeral)
    guard case .send(let ourHello) = us.start().first, case .send(let peerHello) = peer.start().first else {
        fatalError("start() sent no Hello")
    }
    let ours = us.receive(peerHello)
    let theirs = peer.receive(ourHello)
    guard ours.count == 2, case .send(let ourProof) = ours[0],
        theirs.count == 2, case .send(let peerProof) = theirs[0], case .startEncrypting(let peerSendKey) = theirs[1]
    else { fatalError("the reference handshake failed: \(ours) \(theirs)") }
    return PeerScript(
        ourHello: ourHello, ourProof: ourProof, peerHello: peerHello, peerProof: peerProof, peerSendKey: peerSendKey,
        peerID: (dialer ? listenerIdentity : dialerIdentity).nodeID)
}

/// Indexed by flags & 0b1001 (role, versions).
private let scripts: [PeerScript] = (0..<4).map { script(dialer: $0 & 1 != 0, wideVersions: $0 & 2 != 0) }

private let peerError: Grid_V1_Frame = .with {
    $0.error = .with { $0.code = .wrongNetwork; $0.message = "fuzz" }
}

/// GRID_FUZZ_TRACE=1: print what each input did (for reading a corpus or a reproducer).
private let trace = getenv("GRID_FUZZ_TRACE") != nil

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("harness check failed: \(message())") }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    var input = UnsafeRawBufferPointer(start: start, count: count)[...]
    guard let flags = input.popFirst() else { return 0 }
    let dialer = flags & 1 != 0
    let wide = flags & 8 != 0
    let script = scripts[(dialer ? 1 : 0) | (wide ? 2 : 0)]

    var config = configuration(dialer: dialer)
    if wide { config.versions = 1...2 }
    let pinned = flags & 2 != 0
    let pinnedStranger = pinned && flags & 4 != 0
    if pinned { config.expectedPeer = pinnedStranger ? strangerIdentity.nodeID : script.peerID }
    var machine = HandshakeMachine(config, ephemeral: dialer ? dialerEphemeral : listenerEphemeral)

    enum Phase { case idle, open, established, failed }
    var phase = Phase.idle
    var sentProof = false

    func apply(_ actions: [HandshakeMachine.Action], fromStart: Bool = false) {
        if phase == .established || phase == .failed {
            check(actions.isEmpty, "actions after the handshake ended: \(actions)")
            return
        }
        for (i, action) in actions.enumerated() {
            switch action {
            case .send(let frame):
                if case .error = frame.body {
                    check(i + 1 < actions.count, "an Error frame sent without a fail")
                } else if fromStart {
                    check(frame == script.ourHello, "start() sent another Hello than the reference one")
                } else {
                    check(!sentProof, "a second HelloProof")
                    if case .helloProof = frame.body {} else { check(false, "sent \(frame) during the handshake") }
                    sentProof = true
                }
            case .startEncrypting(let key):
                check(sentProof && key.count == 32, "startEncrypting without a proof before it")
            case .established(let peer, let receiveKey):
                check(phase == .open && sentProof, "established before this side sent its proof")
                check(peer.nodeID == script.peerID, "established with \(peer.nodeID.short), not the real peer")
                check(!pinnedStranger, "established although another key was pinned")
                check(receiveKey == script.peerSendKey, "established with a receive key the peer does not send under")
                check(peer.version == 1, "established on version \(peer.version)")
                phase = .established
            case .fail:
                check(i == actions.count - 1, "actions after fail")
                phase = .failed
            }
        }
    }

    if flags & 16 == 0 {
        let actions = machine.start()
        check(actions.count == 1, "start() gave \(actions.count) actions")
        phase = .open
        apply(actions, fromStart: true)
        check(machine.start().isEmpty, "start() ran twice")
    }

    var frames = 0
    while frames < 16, input.count >= 2 {
        let length = Int(input.popFirst()!) << 8 | Int(input.popFirst()!)
        let frame: Grid_V1_Frame
        if length == 0 {
            switch input.popFirst() ?? 0xff {
            case 0: frame = script.peerHello
            case 1: frame = script.peerProof
            case 2: frame = peerError
            case 3: frame = script.ourHello
            case 4: frame = script.ourProof
            default: frame = Grid_V1_Frame()
            }
        } else {
            let chunk = input.prefix(length)
            input = input.dropFirst(length)
            frame = (try? PlainFrame.parse(chunk)) ?? Grid_V1_Frame()
        }
        frames += 1
        let actions = machine.receive(frame)
        if phase == .idle {
            check(actions.isEmpty, "a machine that was not started acted on a frame")
        } else {
            apply(actions)
        }
        check(machine.isEstablished == (phase == .established), "isEstablished disagrees with the actions")
    }

    if trace { print("\(dialer ? "dialer" : "listener"), \(frames) frames: \(phase)") }
    let actions = machine.deadlinePassed()
    switch phase {
    case .established, .failed:
        check(actions.isEmpty, "deadlinePassed acted on a finished handshake")
    case .idle, .open:
        check(actions.count == 2, "deadlinePassed did not fail an open handshake")
        if case .fail(_, let reason) = actions.last { check(reason == .handshakeTimeout, "timeout as \(reason)") }
    }
    return 0
}
