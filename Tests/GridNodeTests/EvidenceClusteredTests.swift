import Foundation
import GridClient
import GridCore
import GridCrypto
import GridLocalAPI
import GridTestKit
import GridWire
import Testing

@testable import GridNode

/// Shared evidence of a wrong result, between real nodes and raw peers: a valid proof convicts its
/// accused at the receiver, which passes it on; forged or false proofs convict no one honest, and
/// count against their sender.
@Suite struct EvidenceClusteredTests {
    static let sha256 = try! SkillID("sha256")
    static let helloDigest = Data("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824".utf8)

    /// A liar that says its skill is deterministic, as a liar after work would.
    struct LyingSha256: Skill {
        var isDeterministic: Bool { true }
        func run(_ input: [UInt8]) async -> TaskOutcome { .success(output: Array("forged".utf8)) }
    }

    static func request(_ byte: UInt8) -> Grid_V1_TaskRequest {
        .with {
            $0.taskID = Data(repeating: byte, count: 16)
            $0.skill = "sha256"
            $0.input = Data("hello".utf8)
            $0.deadlineMs = 5_000
            $0.priority = 96
        }
    }

    static func seal<M: WireMessage>(_ message: M, by identity: SigningIdentity) throws -> Grid_V1_SignedEnvelope {
        try Grid_V1_SignedEnvelope.seal(message, by: identity, timestampMs: EnvelopeSealer.wallClockMs(), nonce: SecureRandom.bytes(16))
    }

    /// Asks `node` to run `request`, signed by `asker`, and returns the run: the signed request and
    /// the node's signed result.
    static func ask(_ node: TestNode, _ request: Grid_V1_TaskRequest, as asker: SigningIdentity) async throws -> Grid_V1_SignedRun {
        let signed = try seal(request, by: asker)
        return try await RawPeer.withConnection(to: node.address, identity: asker) { peer in
            try await peer.send(.with { $0.envelope = signed })
            while let frame = try await peer.next() {
                guard case .envelope(let envelope) = frame.body, envelope.payloadType == Grid_V1_TaskResult.protoMessageName else { continue }
                return Grid_V1_SignedRun(request: signed, result: envelope)
            }
            throw TestKitError("\(node.nodeID.short) sent no result")
        }
    }

    /// A run of `request` (signed by `asker`) that `witness` says gave `output`.
    static func witnessRun(_ request: Grid_V1_TaskRequest, asker: SigningIdentity, witness: SigningIdentity, output: Data) throws -> Grid_V1_SignedRun {
        let signed = try seal(request, by: asker)
        let result = try Grid_V1_SignedRun.result(answering: signed, output: Array(output))
        return Grid_V1_SignedRun(request: signed, result: try seal(result, by: witness))
    }

    static func selfRun(_ request: Grid_V1_TaskRequest, by identity: SigningIdentity, output: Data) throws -> Grid_V1_SignedRun {
        try Grid_V1_SignedRun.selfRun(
            taskID: TaskID(bytes: Array(request.taskID)), skill: sha256, input: Array(request.input), output: Array(output),
            deadlineMs: request.deadlineMs, sealer: EnvelopeSealer(identity: identity))
    }

    /// Alice asks the liar for a task and runs it herself; Bob, a stranger, says what he got: the
    /// proof against the liar, with two witnesses nobody has standing for.
    static func strangersProof(against liar: TestNode, taskByte: UInt8, by alice: SigningIdentity) async throws -> ConvictionEvidenceMessage {
        let bob = SigningIdentity()
        let task = request(taskByte)
        let accused = try await ask(liar, task, as: alice)
        #expect(try Grid_V1_TaskResult(serializedBytes: accused.result.payload).output == Data("forged".utf8))
        return try ConvictionEvidenceMessage(
            accused: accused,
            witnesses: [
                try selfRun(task, by: alice, output: helloDigest),
                try witnessRun(task, asker: alice, witness: bob, output: helloDigest),
            ], maxBytes: 1 << 22)
    }

    static func route(_ node: TestNode) async throws -> [String: RouteEntryView] {
        let views = try await node.withClient { try await $0.route(RouteParams(skill: "sha256")) }
        return Dictionary(uniqueKeysWithValues: views.map { ($0.nodeId, $0) })
    }

    /// The next ConvictionEvidence the node sends `peer`, with its envelope's author.
    static func nextEvidence(_ peer: RawPeerConnection) async throws -> (author: NodeID, evidence: ConvictionEvidenceMessage)? {
        while let frame = try await peer.next() {
            guard case .envelope(let envelope) = frame.body, envelope.payloadType == Grid_V1_ConvictionEvidence.protoMessageName else { continue }
            let claim = try envelope.verify()
            return (claim.author, try ConvictionEvidenceMessage(claim.decode(Grid_V1_ConvictionEvidence.self), maxBytes: 1 << 22))
        }
        return nil
    }

    @Test func aValidProofConvictsTheLiarWhichIsExcludedAndThePeersAreToldOnceAndOnConnecting() async throws {
        try await withTestCluster([
            TestNodeSpec(skills: ["sha256"]),
            TestNodeSpec(skills: [], customSkills: [Self.sha256: LyingSha256()]),
        ]) { cluster in
            try await cluster.waitUntilMeshed()
            let liar = cluster[1].nodeID
            try await poll("the receiver to know the liar announces sha256 as deterministic") {
                try await cluster[0].withClient { try await $0.peers() }.first { $0.nodeId == liar.hex }?.deterministicSkills == ["sha256"]
            }
            #expect(try await Self.route(cluster[0])[liar.hex]?.rank != nil, "the liar is a candidate before")

            let alice = SigningIdentity()
            let evidence = try await Self.strangersProof(against: cluster[1], taskByte: 0x51, by: alice)

            try await RawPeer.withConnection(to: cluster[0].address) { observer in
                _ = try await observer.nextClaim(Grid_V1_SkillAnnouncement.self)  // the node has registered it
                try await RawPeer.withConnection(to: cluster[0].address, identity: alice) { sender in
                    // The receiver runs sha256 itself, agrees with the witnesses and convicts.
                    try await sender.send(try sender.sealed(evidence.wire))
                    try await poll("the liar to be convicted at the receiver") {
                        try await Self.route(cluster[0])[liar.hex]?.excluded == "convicted"
                    }
                    // It passes the proof on to its other peer, signed as its messenger.
                    let passed = try #require(try await Self.nextEvidence(observer))
                    #expect(passed.author == cluster[0].nodeID)
                    #expect(passed.evidence.accusedNode == liar && passed.evidence.taskID == evidence.taskID)
                    #expect(passed.evidence.wire == evidence.wire, "the proof itself, unchanged")

                    // Again, from the observer: handled already, and not passed on again.
                    try await observer.send(try observer.sealed(evidence.wire))
                }
            }
            try await poll("the proof to be on record") {
                try await cluster[0].withClient { try await $0.evidence(EvidenceParams()) }.count == 1
            }
            let record = try #require(try await cluster[0].withClient { try await $0.evidence(EvidenceParams()) }.first)
            #expect(record.kind == "shared" && record.nodeId == liar.hex && record.otherNodeId == alice.nodeID.hex)
            #expect(record.theirDigest == SHA256.hex(Array("forged".utf8)) && record.otherDigest == SHA256.hex(Array(Self.helloDigest)))
            #expect(record.conviction == Hex.encode(try evidence.wire.serializedBytes() as [UInt8]))
            let peers = try await cluster[0].withClient { try await $0.peers() }
            #expect(peers.first { $0.nodeId == liar.hex }?.wrongResults == 1)

            // A peer that connects later is given the proofs of the convictions in force.
            try await RawPeer.withConnection(to: cluster[0].address) { latecomer in
                let given = try #require(try await Self.nextEvidence(latecomer))
                #expect(given.author == cluster[0].nodeID && given.evidence.accusedNode == liar)
            }
            #expect(try await cluster[0].withClient { try await $0.info() }.droppedMessages == 0, "the repeat was no misbehaviour")
        }
    }

    /// A receiver that neither runs the skill nor knows the witnesses (no standing: strangers)
    /// cannot judge the proof: it convicts nobody, and passes the proof on all the same, since a
    /// node where a witness has standing can judge it.
    @Test func aProofTheReceiverCannotJudgeConvictsNobodyThereAndIsPassedOn() async throws {
        try await withTestCluster([
            TestNodeSpec(skills: ["echo"]),
            TestNodeSpec(skills: [], customSkills: [Self.sha256: LyingSha256()]),
        ]) { cluster in
            try await cluster.waitUntilMeshed()
            let liar = cluster[1].nodeID
            let alice = SigningIdentity()
            let evidence = try await Self.strangersProof(against: cluster[1], taskByte: 0x52, by: alice)
            try await RawPeer.withConnection(to: cluster[0].address) { observer in
                _ = try await observer.nextClaim(Grid_V1_SkillAnnouncement.self)
                try await RawPeer.withConnection(to: cluster[0].address, identity: alice) { sender in
                    try await sender.send(try sender.sealed(evidence.wire))
                    let passed = try #require(try await Self.nextEvidence(observer))
                    #expect(passed.author == cluster[0].nodeID && passed.evidence.wire == evidence.wire)
                }
            }
            let peers = try await cluster[0].withClient { try await $0.peers() }
            #expect((peers.first { $0.nodeId == liar.hex }?.wrongResults ?? 0) == 0, "strangers' word convicts nobody here")
            #expect(try await cluster[0].withClient { try await $0.info() }.droppedMessages == 0, "nor counts against the sender")
        }
    }

    @Test func forgedAndFalseProofsConvictNoOneHonestAndCountAgainstTheirSender() async throws {
        try await withTestCluster([
            TestNodeSpec(skills: ["sha256"]) { $0.evidencePerPeerPerMinute = 3 },
            TestNodeSpec(skills: ["sha256"]),
        ]) { cluster in
            try await cluster.waitUntilMeshed()
            let honest = cluster[1].nodeID
            let mallory = SigningIdentity(), crony = SigningIdentity()
            let task = Self.request(0x61)
            let accused = try await Self.ask(cluster[1], task, as: mallory)
            #expect(try Grid_V1_TaskResult(serializedBytes: accused.result.payload).output == Self.helloDigest)
            let lie = Data("a lie".utf8)

            func misbehaviour() async throws -> Int {
                try await cluster[0].withClient { try await $0.peers() }.first { $0.nodeId == mallory.nodeID.hex }?.misbehaviour ?? -1
            }
            try await RawPeer.withConnection(to: cluster[0].address, identity: mallory) { sender in
                // 1. The witnesses' outputs equal the accused's: no proof at all.
                var sameOutput = Grid_V1_ConvictionEvidence()
                sameOutput.accused = accused
                sameOutput.witnesses = [
                    try Self.selfRun(task, by: mallory, output: Self.helloDigest),
                    try Self.witnessRun(task, asker: mallory, witness: crony, output: Self.helloDigest),
                ]
                try await sender.send(try sender.sealed(sameOutput))
                try await poll("the first forgery to count") { try await misbehaviour() == 1 }

                // 2. A lie pinned on the honest node by a tampered signature.
                var tampered = accused
                var result = try Grid_V1_TaskResult(serializedBytes: tampered.result.payload)
                result.output = lie
                tampered.result.payload = try result.serializedBytes()
                var forged = Grid_V1_ConvictionEvidence()
                forged.accused = tampered
                forged.witnesses = sameOutput.witnesses
                try await sender.send(try sender.sealed(forged))
                try await poll("the second forgery to count") { try await misbehaviour() == 2 }

                // 3. Well formed, but the witnesses lie: the receiver's own run shows who did.
                var framing = Grid_V1_ConvictionEvidence()
                framing.accused = accused
                framing.witnesses = [
                    try Self.selfRun(task, by: mallory, output: lie),
                    try Self.witnessRun(task, asker: mallory, witness: crony, output: lie),
                ]
                _ = try ConvictionEvidenceMessage(framing, maxBytes: 1 << 22)
                try await sender.send(try sender.sealed(framing))
                try await poll("the false evidence to count") { try await misbehaviour() == 3 }

                // 4. Beyond evidencePerPeerPerMinute (3): dropped, not judged.
                try await sender.send(try sender.sealed(framing))
                try await poll("the message over the limit to be dropped") {
                    try await cluster[0].withClient { try await $0.info() }.droppedMessages == 4
                }
                #expect(try await misbehaviour() == 3, "over the limit is dropped, not misbehaviour")
            }
            #expect(try await Self.route(cluster[0])[honest.hex]?.rank != nil, "the honest node still gets work")
            try await poll("the lying witnesses to be on record") {
                try await cluster[0].withClient { try await $0.evidence(EvidenceParams()) }.count == 2
            }
            let records = try await cluster[0].withClient { try await $0.evidence(EvidenceParams()) }
            #expect(Set(records.map(\.nodeId)) == [mallory.nodeID.hex, crony.nodeID.hex], "the witnesses were the liars")
            #expect(records.allSatisfy { $0.kind == "spot_check" && $0.otherNodeId == cluster[0].nodeID.hex && $0.conviction == nil })
            #expect(try await cluster[0].withClient { try await $0.evidence(EvidenceParams(nodeId: honest.hex)) }.isEmpty)
            #expect(cluster.logs.text.contains("same_output") && cluster.logs.text.contains("bad_signature"))
        }
    }
}

/// The entry point for a node's own proofs (what the coordinator calls).
@Suite struct EvidenceShareClusteredTests {
    @Test func aNodesOwnProofGoesToEveryPeerButTheAccusedOnceAndABadOneNowhere() async throws {
        try await withTestCluster([
            TestNodeSpec(skills: ["echo"]),
            TestNodeSpec(skills: [], customSkills: [EvidenceClusteredTests.sha256: EvidenceClusteredTests.LyingSha256()]),
        ]) { cluster in
            try await cluster.waitUntilMeshed()
            let gossip = try #require(cluster[0].node.context?.evidence)
            let me = cluster[0].node.identity
            // A proof as the coordinator would build it: the requester asked the liar, ran the task
            // itself (a self-run) and a replica agreed with it. (A raw peer stands in for the
            // requester: a second connection under node 0's own key would be a duplicate.)
            let alice = SigningIdentity(), stranger = SigningIdentity()
            let task = EvidenceClusteredTests.request(0x71)
            let accused = try await EvidenceClusteredTests.ask(cluster[1], task, as: alice)
            let proof = try ConvictionEvidenceMessage(
                accused: accused,
                witnesses: [
                    try Grid_V1_SignedRun.selfRun(
                        taskID: TaskID(bytes: Array(task.taskID)), skill: EvidenceClusteredTests.sha256, input: Array(task.input),
                        output: Array(EvidenceClusteredTests.helloDigest), sealer: EnvelopeSealer(identity: alice)),
                    try EvidenceClusteredTests.witnessRun(task, asker: alice, witness: stranger, output: EvidenceClusteredTests.helloDigest),
                ], maxBytes: 1 << 22)
            try await RawPeer.withConnection(to: cluster[0].address) { observer in
                _ = try await observer.nextClaim(Grid_V1_SkillAnnouncement.self)  // the node has registered it
                var bad = proof.wire
                bad.witnesses.removeLast()
                await gossip.share(bad)  // one witness: peers would refuse it, so it is not sent
                await gossip.share(proof.wire)
                await gossip.share(proof.wire)  // sent once
                let got = try #require(try await EvidenceClusteredTests.nextEvidence(observer))
                #expect(got.author == me.nodeID && got.evidence.wire == proof.wire)
                #expect(await gossip.counts.forwarded == 1, "to the observer only: not to the accused, and once")
            }
            #expect(cluster.logs.text.contains("not sharing evidence that peers would refuse"))
        }
    }
}
