import GridCore
import GridCrypto
import Testing

@Suite struct SigningTests {
    @Test func signatureRoundTrip() {
        let identity = SigningIdentity()
        let message = Array("TaskRequest bytes".utf8)
        let signature = identity.sign(message)
        #expect(signature.count == 64)
        #expect(Ed25519.verify(signature: signature, of: message, by: identity.nodeID))
    }

    @Test func tamperingWithAnySingleByteBreaksTheSignature() {
        let identity = SigningIdentity()
        let message = Array("a claim worth checking".utf8)
        let signature = identity.sign(message)
        for index in message.indices {
            var tampered = message
            tampered[index] ^= 0x01
            #expect(!Ed25519.verify(signature: signature, of: tampered, by: identity.nodeID), "message byte \(index)")
        }
        for index in signature.indices {
            var tampered = signature
            tampered[index] ^= 0x80
            #expect(!Ed25519.verify(signature: tampered, of: message, by: identity.nodeID), "signature byte \(index)")
        }
        #expect(!Ed25519.verify(signature: signature, of: message + [0], by: identity.nodeID))
        #expect(!Ed25519.verify(signature: signature.dropLast(), of: message, by: identity.nodeID))
    }

    @Test func anotherKeyDoesNotVerify() {
        let message = Array("x".utf8)
        #expect(!Ed25519.verify(signature: SigningIdentity().sign(message), of: message, by: SigningIdentity().nodeID))
    }

    /// RFC 8032 section 7.1, TEST 1: an independent check that keys and signatures are standard Ed25519.
    @Test func rfc8032TestVector1() throws {
        let identity = try SigningIdentity(seed: Hex.decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
        #expect(identity.nodeID.hex == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        #expect(Hex.encode(identity.sign([])) ==
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
        #expect(identity.seed == (try Hex.decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")))
    }

    @Test func seedMustBe32Bytes() {
        #expect(throws: GridError.self) { try SigningIdentity(seed: [1, 2, 3]) }
    }

    @Test func sha256KnownAnswers() {
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("hello".utf8)) == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
    }

    @Test func secureRandomBytesDiffer() {
        #expect(SecureRandom.bytes(32) != SecureRandom.bytes(32))
        #expect(SecureRandom.bytes(0).isEmpty)
    }
}
