#!/usr/bin/env python3
"""Checks every test vector in Protocol/vectors/ with the Python reference implementation.

For each file: decode every byte string, rebuild every derived value (keys, signed bytes,
signatures, transcript, channel keys, ciphertexts) from the seeds and fields, re-encode every
message, and compare byte for byte; then make sure tampered bytes are refused. Each file in
negative/ must be refused by the rule it names, and by no other. Prints one line per file, a
count of the negative vectors by kind, and a final "N passed, M failed"; exits 1 if any failed.

    python3 Protocol/reference/check_vectors.py [--vectors DIR]
"""

import argparse
import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

try:
    import cryptography  # noqa: F401  (the one dependency outside the standard library)
except ImportError:
    print("Python reference: skipped (the 'cryptography' package is not installed: pip install cryptography)")
    sys.exit(0)

sys.path.insert(0, str(HERE))
sys.dont_write_bytecode = True  # run from scripts/test.sh: leave no __pycache__ in the repository
import grid_reference as g  # noqa: E402


class Mismatch(Exception):
    """A vector that does not hold."""


def expect(condition, what):
    if not condition:
        raise Mismatch(what)


def same(expected, found, what):
    """`expected` is what the reference computes or what the vector is meant to hold; `found`
    is what the vector holds."""
    if expected != found:
        show = lambda v: v.hex() if isinstance(v, bytes) else repr(v)
        raise Mismatch(f"{what}: expected {show(expected)}, found {show(found)}")


def unhex(text, what):
    """A vector's byte string: lower-case hex only (Protocol/README.md, "Test vectors")."""
    expect(isinstance(text, str) and text == text.lower(), f"{what} is not lower-case hex")
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise Mismatch(f"{what} is not hex") from None


def flipped(data):
    """Every copy of `data` with one byte changed (its lowest and its highest bit, in turn)."""
    for i in range(len(data)):
        for bit in (0x01, 0x80):
            yield data[:i] + bytes([data[i] ^ bit]) + data[i + 1:]


def check_signature(public_key, signed, signature, seed, what):
    """Verifies, re-signs (Ed25519 is deterministic, so the very same bytes must come out), and
    checks that changing any byte of the signed bytes or of the signature breaks verification,
    as does the malleable twin of the signature."""
    expect(g.verify(public_key, signature, signed), f"{what}: the signature does not verify")
    if seed is not None:
        same(g.sign(seed, signed), signature, f"{what}: re-signed")
    for bad in flipped(signed):
        expect(not g.verify(public_key, signature, bad), f"{what}: verifies over altered signed bytes")
    for bad in flipped(signature):
        expect(not g.verify(public_key, bad, signed), f"{what}: an altered signature verifies")
    # S + L satisfies the same equation: only the canonical-S rule refuses it (no malleability).
    malleable = signature[:32] + (int.from_bytes(signature[32:], "little") + g.ED25519_L).to_bytes(32, "little")
    expect(not g.verify(public_key, malleable, signed), f"{what}: the signature with S + L verifies")


def check_envelope(envelope, seed=None):
    """An envelope decoded from a frame: signature (with tampering), payload round trip.
    Returns the decoded payload message."""
    signed = g.envelope_signed_bytes(envelope["payload_type"], envelope["timestamp_ms"],
                                     envelope["nonce"], envelope["payload"])
    check_signature(envelope["author"], signed, envelope["signature"], seed, envelope["payload_type"])
    message = g.verify_envelope(envelope)
    same(g.encode(g.PAYLOAD_TYPES[envelope["payload_type"]], message), envelope["payload"],
         f"{envelope['payload_type']} payload re-encoded")
    return message


def envelopes_in(message_type, message):
    """Every SignedEnvelope nested anywhere in `message` (e.g. PeerExchangeResponse.records)."""
    for field in g.SCHEMA[message_type]:
        if field.kind != "message" or field.name not in message:
            continue
        for item in message[field.name] if field.repeated else [message[field.name]]:
            if field.message == "SignedEnvelope":
                yield item
            else:
                yield from envelopes_in(field.message, item)


def check_frame_bytes(frame_bytes, what):
    """Decodes a length-prefixed plain frame, checks that re-encoding gives the same bytes and
    that every envelope in it verifies. Returns the Frame."""
    frame = g.decode_frame(frame_bytes)
    expect(g.oneof_case("Frame", frame, "body") is not None, f"{what}: the Frame carries no known body")
    same(g.encode_frame(frame), frame_bytes, f"{what} re-encoded")
    for envelope in envelopes_in("Frame", frame):
        check_envelope(envelope)
    return frame


# --- What each vector must contain (from its description; Tests/GridWireTests/VectorTests.swift) --
# Decoding and re-encoding alone would accept a vector whose fields had been given the wrong
# numbers consistently; comparing with the intended content catches that.

REQUESTER, EXECUTOR = bytes([1]) * 32, bytes([2]) * 32  # the identities' seeds
TIMESTAMP_MS = 1_790_000_000_000
TASK_ID = bytes(range(16))
TASK_REQUEST = {"task_id": TASK_ID, "skill": "sha256", "input": b"hello", "deadline_ms": 30_000,
                "priority": 96, "min_trust_ppm": 250_000}
# A result names the request it answers by the SHA-256 of the request's payload bytes.
REQUEST_DIGEST = hashlib.sha256(g.encode("TaskRequest", TASK_REQUEST)).digest()
PEER_RECORD = {"addresses": ["127.0.0.1:7402"], "network_id": "main"}
LIAR = bytes([3]) * 32  # the accused of the conviction evidence
RIGHT_OUTPUT = hashlib.sha256(b"hello").hexdigest().encode()


def signed_run(k, executor, output):
    """Run k of the evidence (1 the accused's, 2 and 3 the witnesses'): the task request signed
    by the requester under nonce b0+k, answered by `executor` under nonce c0+k."""
    request = g.seal_envelope(REQUESTER, "grid.v1.TaskRequest", g.encode("TaskRequest", TASK_REQUEST),
                              TIMESTAMP_MS, bytes([0xB0 + k]) * 16)
    result = {"task_id": TASK_ID, "output": output, "execution_time_us": 35,
              "request_digest": hashlib.sha256(request["payload"]).digest()}
    return {"request": request, "result": g.seal_envelope(executor, "grid.v1.TaskResult", g.encode("TaskResult", result),
                                                          TIMESTAMP_MS, bytes([0xC0 + k]) * 16)}


# The liar answered "forged"; the executor and the requester's own run (a self-run: it signed both
# the request and the result) agree on the digest.
CONVICTION_EVIDENCE = {"accused": signed_run(1, LIAR, b"forged"),
                       "witnesses": [signed_run(2, EXECUTOR, RIGHT_OUTPUT), signed_run(3, REQUESTER, RIGHT_OUTPUT)]}

ENVELOPES = {  # file: (signer's seed, nonce byte, payload message type, payload)
    "envelope_skill_announcement.json": (EXECUTOR, 0xA1, "SkillAnnouncement",
                                         {"skills": ["echo", "sha256"], "capacity": 4, "load": 1,
                                          "deterministic_skills": ["echo", "sha256"]}),
    "envelope_peer_record.json": (EXECUTOR, 0xA2, "PeerRecord", PEER_RECORD),
    "envelope_task_request.json": (REQUESTER, 0xA3, "TaskRequest", TASK_REQUEST),
    "envelope_task_ack_accepted.json": (EXECUTOR, 0xA4, "TaskAck",
                                        {"task_id": TASK_ID, "accepted": True, "queue_position": 2}),
    "envelope_task_ack_rejected.json": (EXECUTOR, 0xA5, "TaskAck", {
        "task_id": TASK_ID, "reason": g.REJECT_REASON["BUSY"],
        "message": "4 tasks running and 64 waiting (the limit); retry later or on another node"}),
    "envelope_task_result_success.json": (EXECUTOR, 0xA6, "TaskResult", {
        "task_id": TASK_ID, "output": hashlib.sha256(b"hello").hexdigest().encode(),
        "execution_time_us": 35, "request_digest": REQUEST_DIGEST}),
    "envelope_task_result_error.json": (EXECUTOR, 0xA7, "TaskResult", {
        "task_id": TASK_ID, "error": {"code": g.TASK_ERROR_CODE["SKILL_FAILED"], "message": "boom"},
        "execution_time_us": 12, "request_digest": REQUEST_DIGEST}),
    "envelope_task_progress.json": (EXECUTOR, 0xAA, "TaskProgress", {
        "task_id": TASK_ID, "request_digest": REQUEST_DIGEST, "stage": g.TASK_PROGRESS_STAGE["PROGRESS"],
        "fraction_ppm": 425_000, "has_fraction": True, "message": "hashed 17 of 40 blocks", "sequence": 2}),
    "envelope_task_cancel.json": (REQUESTER, 0xA8, "TaskCancel",
                                  {"task_id": TASK_ID, "reason": "the requester's deadline passed"}),
    "envelope_conviction_evidence.json": (REQUESTER, 0xAB, "ConvictionEvidence", CONVICTION_EVIDENCE),
    "envelope_trust_report.json": (REQUESTER, 0xA9, "TrustReport", {
        "epoch": 7, "entries": [{"node_id": g.ed25519_public_key(EXECUTOR), "trust_ppm": 1_000_000}]}),
}

FRAMES = {  # file: the Frame
    "frame_ping.json": {"ping": {"nonce": 0x0102030405060708}},
    "frame_pong.json": {"pong": {"nonce": 0x0102030405060708}},
    "frame_peer_exchange_request.json": {"peer_exchange_request": {"max_records": 16}},
    "frame_peer_exchange_response.json": {"peer_exchange_response": {"records": [g.seal_envelope(
        EXECUTOR, "grid.v1.PeerRecord", g.encode("PeerRecord", PEER_RECORD), TIMESTAMP_MS, bytes([0xA2]) * 16)]}},
    "frame_goodbye.json": {"goodbye": {"reason": g.GOODBYE_REASON["SHUTDOWN"], "message": "node is shutting down"}},
    "frame_error.json": {"error": {"code": g.ERROR_CODE["WRONG_NETWORK"],
                                   "message": "this node is on network 'main', the peer on 'lab'; nodes of different networks never connect"}},
}

HANDSHAKE_SIDES = {  # role: (identity seed, ephemeral seed, listen address)
    "dialer": (REQUESTER, bytes([0x11]) * 32, "127.0.0.1:7401"),
    "listener": (EXECUTOR, bytes([0x22]) * 32, "127.0.0.1:7402"),
}
HANDSHAKE_NETWORK = "main"
HANDSHAKE_ENCRYPTED = [{"ping": {"nonce": 1}}, {"goodbye": {"reason": g.GOODBYE_REASON["SHUTDOWN"], "message": "bye"}}]


def normalised(message_type, message):
    """`message` with every absent field at its default, as decode() returns it."""
    return g.decode(message_type, g.encode(message_type, message))


# --- The three kinds of vector ----------------------------------------------------------------

def check_envelope_vector(name, v):
    seed = unhex(v["seed"], "seed")
    public_key = unhex(v["public_key"], "public_key")
    same(g.ed25519_public_key(seed), public_key, "public key derived from the seed")
    payload_type, timestamp_ms = v["payload_type"], v["timestamp_ms"]
    expect(isinstance(timestamp_ms, int) and 0 <= timestamp_ms < 1 << 64, "timestamp_ms is not a u64")
    nonce, payload = unhex(v["nonce"], "nonce"), unhex(v["payload"], "payload")
    signed, signature = unhex(v["signed_bytes"], "signed_bytes"), unhex(v["signature"], "signature")

    same(g.envelope_signed_bytes(payload_type, timestamp_ms, nonce, payload), signed, "signed bytes rebuilt")
    check_signature(public_key, signed, signature, seed, payload_type)

    # The frame: length prefix -> Frame -> SignedEnvelope -> payload, each re-encoded.
    frame_bytes = unhex(v["frame"], "frame")
    frame = check_frame_bytes(frame_bytes, "frame")
    same("envelope", g.oneof_case("Frame", frame, "body"), "the frame's body")
    envelope = frame["envelope"]
    for field, value in (("author", public_key), ("payload_type", payload_type), ("payload", payload),
                         ("timestamp_ms", timestamp_ms), ("nonce", nonce), ("signature", signature)):
        same(value, envelope[field], f"the frame's envelope {field}")
    envelope_bytes = g.encode("SignedEnvelope", envelope)
    same(g.encode_varint(3 << 3 | 2) + g.encode_varint(len(envelope_bytes)) + envelope_bytes,
         frame_bytes[4:], "the frame's body rebuilt around the re-encoded envelope")
    message = check_envelope(envelope, seed)

    # Sealing the payload anew from the seed alone gives the same frame.
    message_type = g.PAYLOAD_TYPES[payload_type]
    resealed = g.seal_envelope(seed, payload_type, g.encode(message_type, message), timestamp_ms, nonce)
    same(g.encode_frame({"envelope": resealed}), frame_bytes, "frame sealed anew from the seed")

    if message_type == "TaskProgress":
        check_progress_bounds(message)
    if message_type == "ConvictionEvidence":
        g.check_conviction_evidence(message, len(payload))
        same(g.ed25519_public_key(LIAR), message["accused"]["result"]["author"], "the accused")

    if name in ENVELOPES:
        signer, nonce_byte, intended_type, content = ENVELOPES[name]
        same(signer, seed, "signer")
        same(bytes([nonce_byte]) * 16, nonce, "nonce")
        same(TIMESTAMP_MS, timestamp_ms, "timestamp_ms")
        same("grid.v1." + intended_type, payload_type, "payload_type")
        same(normalised(intended_type, content), message, "payload content")


def check_progress_bounds(progress):
    """A TaskProgress passes the receiver's checks, and each field pushed just past its bound
    fails them (the edges themselves pass)."""
    g.check_task_progress(progress)
    edges = [{"fraction_ppm": 1_000_000, "has_fraction": True}, {"message": "m" * 200},
             {"fraction_ppm": 5_000_000, "has_fraction": False}]  # not reported: not checked
    for change in edges:
        g.check_task_progress(dict(progress, **change))
    for change in ({"task_id": progress["task_id"][:15]}, {"request_digest": progress["request_digest"][:31]},
                   {"stage": g.TASK_PROGRESS_STAGE["UNSPECIFIED"]}, {"stage": 3},
                   {"fraction_ppm": 1_000_001, "has_fraction": True}, {"message": "m" * 201},
                   {"message": "\u00e9" * 101}, {"sequence": 0}):
        try:
            g.check_task_progress(dict(progress, **change))
        except g.WireError:
            continue
        raise Mismatch(f"a TaskProgress with {change} passes the receiver's checks")


def check_negative_vector(name, v):
    """An input the receiver must refuse: the rule in the file, and no other, refuses it."""
    rule = v["rule"]
    same(f"conviction_evidence_{rule}.json", name, "file name (conviction_evidence_<rule>.json)")
    payload = unhex(v["payload"], "payload")
    try:
        evidence = g.decode("ConvictionEvidence", payload)
        same(payload, g.encode("ConvictionEvidence", evidence), "ConvictionEvidence re-encoded")
        g.check_conviction_evidence(evidence, len(payload))
    except g.EvidenceError as error:
        same(rule, error.rule, f"the rule that refuses it ({error})")
        return
    raise Mismatch(f"the evidence passes every check; it must be refused by {rule}")


# --- Negative vectors: signatures, envelopes, frames, Hellos ------------------------------------

# The ones whose description says any message verifies: their key is the identity point.
EVERY_MESSAGE = {"signature_small_order_key.json", "signature_key_not_canonical.json"}


def check_signature_refusal(name, v):
    """Refused by exactly its rule; and each is a disagreement, not a broken signature: the bare
    equation holds (the cofactored one alone for mixed_order_key), so a verifier that leaves out
    that one rule accepts it."""
    rule = v["rule"]
    expect(name.startswith(f"signature_{rule}"), "file name (signature_<rule>[_...].json)")
    key, message = unhex(v["public_key"], "public_key"), unhex(v["message"], "message")
    signature = unhex(v["signature"], "signature")
    same(rule, g.signature_refusal(key, signature, message), "the rule that refuses it")
    expect(not g.verify(key, signature, message), "it verifies")
    if rule == "mixed_order_key":
        expect(not g.in_prime_order_subgroup(key), "the key is in the prime-order subgroup")
        expect(not g.equation_holds(key, signature, message), "the cofactorless equation holds")
        expect(g.equation_holds(key, signature, message, cofactor=8), "the cofactored equation does not hold")
    else:
        expect(g.equation_holds(key, signature, message), "[S]B = R + [k]A does not hold: no verifier accepts it")
    if rule == "s_not_canonical":
        s = int.from_bytes(signature[32:], "little")
        expect(g.verify(key, signature[:32] + (s - g.ED25519_L).to_bytes(32, "little"), message),
               "with S - L the signature does not verify")
    if name in EVERY_MESSAGE:
        expect(g.is_identity(key), "the key is not the identity point")
        for other in (b"", b"any other message", bytes(range(256))):
            expect(g.equation_holds(key, signature, other), f"the equation fails for the message {other[:16].hex()}")


def check_signature_control(name, v):
    """A signature the node accepts although some verifiers refuse it."""
    expect(v.get("rule") is None, "a positive control names no rule")
    key, message = unhex(v["public_key"], "public_key"), unhex(v["message"], "message")
    signature = unhex(v["signature"], "signature")
    same(None, g.signature_refusal(key, signature, message), "the rule that refuses it")
    if "mixed_order" in name:
        expect(not g.in_prime_order_subgroup(key), "the key is in the prime-order subgroup")


def unchecked_signed_bytes(payload_type, timestamp_ms, nonce, payload):
    """The signed bytes of an envelope laid out without the size checks (the type's length byte
    truncated to 8 bits), as an implementation without check 2 would build them."""
    kind = payload_type.encode("utf-8")
    return (g.ENVELOPE_DOMAIN + bytes([len(kind) & 0xFF]) + kind + timestamp_ms.to_bytes(8, "big") + nonce
            + len(payload).to_bytes(4, "big") + payload)


def check_envelope_refusal(name, v):
    """The frame parses (the fault is in its content) and its envelope is dropped for `rule`."""
    frame_bytes = unhex(v["frame"], "frame")
    frame = g.decode_frame(frame_bytes)
    same("envelope", g.oneof_case("Frame", frame, "body"), "the frame's body")
    same(g.encode_frame(frame), frame_bytes, "frame re-encoded")
    envelope = frame["envelope"]
    same(v["rule"], g.envelope_drop_reason(envelope), "the drop reason")
    # Sizes refused before the signature: the signature is the executor's over the bytes an
    # implementation without the size checks would build, so only those checks refuse it.
    executor = g.ed25519_public_key(EXECUTOR)
    if v["rule"] == "malformed" and envelope["author"] != executor:
        same(executor[:len(envelope["author"])], envelope["author"], "the author (a cut executor key)")
        expect(g.envelope_drop_reason(dict(envelope, author=executor)) is None, "with the whole key it is still refused")
    elif v["rule"] == "malformed" and not _sizes_ok(envelope):
        signed = unchecked_signed_bytes(envelope["payload_type"], envelope["timestamp_ms"], envelope["nonce"], envelope["payload"])
        expect(g.verify(executor, envelope["signature"], signed), "the signature is not over the unchecked layout")


def _sizes_ok(envelope):
    try:
        g.check_envelope_fields(envelope["payload_type"], envelope["nonce"])
        return True
    except g.WireError:
        return False


FRAME_ERROR_CODES = {"length_too_large": "ERROR_CODE_FRAME_TOO_LARGE"}  # every other rule: ERROR_CODE_MALFORMED


def refusal(what, rule, action):
    """Runs `action`, which must raise Refused for `rule`."""
    try:
        action()
    except g.Refused as error:
        same(rule, error.rule, f"{what}: the rule that refuses it ({error})")
        return
    raise Mismatch(f"{what} is accepted; it must be refused by {rule}")


def check_frame_refusal(name, v):
    rule = v["rule"]
    same(FRAME_ERROR_CODES.get(rule, "ERROR_CODE_MALFORMED"), v["error_code"], "the Error code after the handshake")
    if "length_prefix" in v:
        expect("body" not in v, "both length_prefix and body")
        prefix = unhex(v["length_prefix"], "length_prefix")
        same(4, len(prefix), "length_prefix size")
        refusal("the length prefix", rule, lambda: g.split_frame(prefix))  # before any body arrives
        return
    body = unhex(v["body"], "body")
    refusal("the plain frame", rule, lambda: g.decode_frame(g.length_prefix(len(body)) + body))
    key = bytes([0x33]) * 32
    sealed, _ = g.split_frame(g.seal_frame(key, 0, body))
    refusal("the encrypted frame", rule, lambda: g.parse_frame_body(g.open_frame(key, 0, sealed)))
    if rule in ("field_twice", "two_bodies"):
        g.decode("Frame", body)  # a decoder that lets the last field win accepts it


LISTENER = g.HelloReceiver(  # the listener of handshake.json
    node_id=g.ed25519_public_key(EXECUTOR), network_id=HANDSHAKE_NETWORK, is_dialer=False,
    ephemeral_secret=g.x25519_secret_from_seed(HANDSHAKE_SIDES["listener"][1]),
    ephemeral_public=g.x25519_public_key(g.x25519_secret_from_seed(HANDSHAKE_SIDES["listener"][1])))
DIALER_HELLO = {  # the dialler's Hello of handshake.json
    "protocol_version": 1, "min_protocol_version": 1, "node_id": g.ed25519_public_key(REQUESTER),
    "ephemeral_key": g.x25519_public_key(g.x25519_secret_from_seed(HANDSHAKE_SIDES["dialer"][1])),
    "listen_address": HANDSHAKE_SIDES["dialer"][2], "network_id": HANDSHAKE_NETWORK}
HELLOS = {  # file: the change to the dialler's Hello
    "hello_protocol_version_0.json": {"protocol_version": 0, "min_protocol_version": 0},
    "hello_min_version_above_version.json": {"min_protocol_version": 2},
    "hello_node_id_31_bytes.json": {"node_id": g.ed25519_public_key(REQUESTER)[:31]},
    "hello_ephemeral_key_zero.json": {"ephemeral_key": bytes(32)},
    "hello_ephemeral_key_order_8.json": {"ephemeral_key": bytes.fromhex(
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800")},
}


def check_hello_refusal(name, v):
    hello = unhex(v["hello"], "hello")
    frame = check_frame_bytes(unhex(v["hello_frame"], "hello_frame"), "hello_frame")
    same(hello, frame.get("hello"), "hello_frame carries the hello")
    same(None, g.hello_refusal(g.encode("Hello", DIALER_HELLO), LISTENER), "the unchanged Hello's refusal")
    same(v["rule"], g.hello_refusal(hello, LISTENER), "the error code")
    if name in HELLOS:
        same(g.encode("Hello", dict(DIALER_HELLO, **HELLOS[name])), hello, "the Hello (the dialler's with its change)")


NEGATIVE_KINDS = {"conviction_evidence_": check_negative_vector, "signature_": check_signature_refusal,
                  "envelope_": check_envelope_refusal, "frame_": check_frame_refusal, "hello_": check_hello_refusal}


def check_frame_vector(name, v):
    frame_bytes = unhex(v["frame"], "frame")
    frame = check_frame_bytes(frame_bytes, "frame")
    if name in FRAMES:
        same(normalised("Frame", FRAMES[name]), frame, "frame content")
        same(g.encode_frame(FRAMES[name]), frame_bytes, "frame built from its intended content")


def parse_hello_frame(side, role):
    """The side's Hello: the bytes inside Frame.hello exactly as sent (the transcript hashes
    those, not a re-encoding), checked against the side's keys and settings."""
    hello_bytes = unhex(side["hello"], f"{role} hello")
    hello_frame = unhex(side["hello_frame"], f"{role} hello_frame")
    frame = check_frame_bytes(hello_frame, f"{role} hello_frame")
    same("hello", g.oneof_case("Frame", frame, "body"), f"{role} hello_frame body")
    same(hello_bytes, frame["hello"], f"{role} hello_frame carries the hello")
    hello = g.decode("Hello", hello_bytes)
    same(g.encode("Hello", hello), hello_bytes, f"{role} Hello re-encoded")
    same(1, hello["protocol_version"], f"{role} Hello protocol_version")
    expect(hello["min_protocol_version"] in (0, 1), f"{role} Hello min_protocol_version is not 0 or 1")
    for field, key in (("node_id", "public_key"), ("ephemeral_key", "ephemeral_public_key")):
        same(unhex(side[key], f"{role} {key}"), hello[field], f"{role} Hello {field} (vs {key})")
    for field in ("network_id", "listen_address"):
        same(side[field], hello[field], f"{role} Hello {field} (vs the side's {field})")
    return hello_bytes


def check_handshake_vector(name, v):
    sides = {"dialer": v["dialer"], "listener": v["listener"]}
    hellos, ephemeral = {}, {}
    for role, side in sides.items():
        same(role, side["role"], "role")
        seed = unhex(side["seed"], f"{role} seed")
        same(g.ed25519_public_key(seed), unhex(side["public_key"], f"{role} public_key"), f"{role} identity key")
        secret = g.x25519_secret_from_seed(unhex(side["ephemeral_seed"], f"{role} ephemeral_seed"))
        public = g.x25519_public_key(secret)
        same(public, unhex(side["ephemeral_public_key"], f"{role} ephemeral_public_key"), f"{role} ephemeral key")
        ephemeral[role] = (secret, public)
        hellos[role] = parse_hello_frame(side, role)
    same(sides["dialer"]["network_id"], sides["listener"]["network_id"], "the two sides' network_id")

    transcript = g.transcript_hash(hellos["dialer"], hellos["listener"])
    same(transcript, unhex(v["transcript_hash"], "transcript_hash"), "transcript hash")

    keys = {}
    for role, side in sides.items():
        seed, public_key = unhex(side["seed"], "seed"), unhex(side["public_key"], "public_key")
        dialed = role == "dialer"
        signed = g.proof_signed_bytes(transcript, signer_dialed=dialed)
        same(signed, unhex(side["signed_bytes"], f"{role} signed_bytes"), f"{role} proof signed bytes")
        signature = unhex(side["signature"], f"{role} signature")
        check_signature(public_key, signed, signature, seed, f"{role} proof")
        # The role byte keeps a proof from being reflected back: it must not pass as the other side's.
        expect(not g.verify(public_key, signature, g.proof_signed_bytes(transcript, signer_dialed=not dialed)),
               f"{role} proof also verifies with the other role byte")
        proof_frame_bytes = unhex(side["proof_frame"], f"{role} proof_frame")
        proof_frame = check_frame_bytes(proof_frame_bytes, f"{role} proof_frame")
        same("hello_proof", g.oneof_case("Frame", proof_frame, "body"), f"{role} proof_frame body")
        same(signature, proof_frame["hello_proof"].get("signature"), f"{role} proof_frame signature")

        peer = "listener" if dialed else "dialer"
        receive, send = g.channel_keys(*ephemeral[role], ephemeral[peer][1], dialed, transcript)
        same(receive, unhex(side["receive_key"], f"{role} receive_key"), f"{role} receive key")
        same(send, unhex(side["send_key"], f"{role} send_key"), f"{role} send key")
        keys[role] = (receive, send)
    same(keys["dialer"][1], keys["listener"][0], "dialler's send key vs listener's receive key")
    same(keys["listener"][1], keys["dialer"][0], "listener's send key vs dialler's receive key")
    expect(keys["dialer"][0] != keys["dialer"][1], "both directions share one key")

    frames = v["dialer_encrypted_frames"]
    expect(frames, "no dialer_encrypted_frames")
    listener_receive, dialer_send = keys["listener"][0], keys["dialer"][1]
    for index, encrypted in enumerate(frames):
        what = f"encrypted frame {index}"
        counter = encrypted["counter"]
        same(index, counter, f"{what} counter (frames are numbered from 0)")
        wire = unhex(encrypted["bytes"], f"{what} bytes")
        plaintext = unhex(encrypted["plaintext_frame_body"], f"{what} plaintext_frame_body")
        body, rest = g.split_frame(wire)
        expect(not rest, f"{what}: bytes after the frame")
        same(g.open_frame(listener_receive, counter, body), plaintext, f"{what} decrypted")
        same(g.seal_frame(dialer_send, counter, plaintext), wire, f"{what} re-encrypted")
        frame = g.decode("Frame", plaintext)
        same(g.encode("Frame", frame), plaintext, f"{what} plaintext re-encoded")
        if name == "handshake.json" and index < len(HANDSHAKE_ENCRYPTED):
            same(normalised("Frame", HANDSHAKE_ENCRYPTED[index]), frame, f"{what} content")
        # Refused: another counter (replayed, reordered, dropped), the other direction's key,
        # any altered byte, a shortened frame.
        for wrong in (c for c in (counter - 1, counter + 1, counter + 2, 1 << 63) if c >= 0):
            expect_refused(listener_receive, wrong, body, f"{what} at counter {wrong}")
        expect_refused(keys["listener"][1], counter, body, f"{what} under the listener's send key")
        for bad in flipped(body):
            expect_refused(listener_receive, counter, bad, f"{what} altered")
        expect_refused(listener_receive, counter, body[:-1], f"{what} shortened")

    if name == "handshake.json":
        for role, (seed, ephemeral_seed, listen) in HANDSHAKE_SIDES.items():
            side = sides[role]
            same(seed, unhex(side["seed"], "seed"), f"{role} seed")
            same(ephemeral_seed, unhex(side["ephemeral_seed"], "ephemeral_seed"), f"{role} ephemeral seed")
            same(listen, side["listen_address"], f"{role} listen_address")
            same(HANDSHAKE_NETWORK, side["network_id"], f"{role} network_id")
            same(1, g.decode("Hello", unhex(side["hello"], "hello"))["min_protocol_version"],
                 f"{role} Hello min_protocol_version")
        same(len(HANDSHAKE_ENCRYPTED), len(frames), "number of encrypted frames")


def expect_refused(key, counter, body, what):
    try:
        g.open_frame(key, counter, body)
    except g.WireError:
        return
    raise Mismatch(f"{what} decrypts")


def check_file(path):
    vector = json.loads(path.read_text(encoding="utf-8"))
    expect(isinstance(vector.get("description"), str) and vector["description"], "no description")
    if path.parent.name == "negative":
        kind = next((k for k in NEGATIVE_KINDS if path.name.startswith(k)), None)
        expect(kind is not None, f"not a known kind of negative vector ({', '.join(k + '*' for k in NEGATIVE_KINDS)})")
        expect(isinstance(vector.get("rule"), str) and vector["rule"], "no rule")
        NEGATIVE_KINDS[kind](path.name, vector)
        return kind
    elif path.name.startswith("envelope_"):
        check_envelope_vector(path.name, vector)
    elif path.name.startswith("frame_"):
        check_frame_vector(path.name, vector)
    elif path.name.startswith("handshake"):
        check_handshake_vector(path.name, vector)
    elif path.name.startswith("signature_"):
        check_signature_control(path.name, vector)
    else:
        raise Mismatch("not a known kind of vector (envelope_*, frame_*, handshake*, signature_*)")
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", type=Path, default=HERE.parent / "vectors",
                        help="directory of *.json vectors (default: Protocol/vectors)")
    directory = parser.parse_args().vectors
    passed = failed = 0
    refused = {}  # negative vectors refused by their rule, by kind
    files = sorted(directory.glob("*.json")) + sorted((directory / "negative").glob("*.json"))
    if not files:
        print(f"FAIL {directory}: no *.json vectors")
        failed += 1
    for path in files:
        try:
            kind = check_file(path)
        except (Mismatch, g.WireError) as error:
            print(f"FAIL {path.relative_to(directory)}: {error}")
            failed += 1
        except KeyError as error:
            print(f"FAIL {path.name}: no key {error} in the file")
            failed += 1
        except Exception as error:  # a malformed file (missing key, wrong JSON type): report, go on
            print(f"FAIL {path.name}: {type(error).__name__}: {error}")
            failed += 1
        else:
            print(f"ok  {path.relative_to(directory)}")
            passed += 1
            if kind:
                refused[kind] = refused.get(kind, 0) + 1
    print(f"negative vectors refused by their rule: {sum(refused.values())} ("
          + ", ".join(f"{refused.get(k, 0)} {k}*" for k in NEGATIVE_KINDS) + ")")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
