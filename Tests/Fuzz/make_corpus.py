#!/usr/bin/env python3
"""Writes the seed corpora in Tests/Fuzz/corpus/<target>/ from Protocol/vectors/*.json.

The input layouts are described at the top of each target's source. Run from anywhere:
    python3 Tests/Fuzz/make_corpus.py
It replaces the files it writes (named after what they hold) and leaves others alone.
"""
import glob
import json
import os
import struct

FUZZ = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(FUZZ, "..", "..", "Protocol", "vectors")
CORPUS = os.path.join(FUZZ, "corpus")

# Index of each payload type in FuzzEnvelope.swift's `payloadTypes`.
PAYLOAD_TYPES = [
    "grid.v1.PeerRecord", "grid.v1.SkillAnnouncement", "grid.v1.TaskRequest", "grid.v1.TaskAck",
    "grid.v1.TaskResult", "grid.v1.TaskCancel", "grid.v1.TrustReport", "grid.v1.TaskProgress",
]


def load(name):
    with open(os.path.join(VECTORS, name)) as f:
        return json.load(f)


def write(target, name, data):
    os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    with open(os.path.join(CORPUS, target, name), "wb") as f:
        f.write(data)


def body(frame):
    """A length-prefixed frame's body (bytes, or hex)."""
    if isinstance(frame, str):
        frame = bytes.fromhex(frame)
    (length,) = struct.unpack(">I", frame[:4])
    assert length == len(frame) - 4
    return frame[4:]


def varint(data, i):
    value, shift = 0, 0
    while True:
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, i


def fields(message):
    """(field number, wire type, value) of a serialized protobuf message; bytes for wire type 2."""
    i = 0
    while i < len(message):
        key, i = varint(message, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = varint(message, i)
        elif wire == 2:
            n, i = varint(message, i)
            value, i = message[i:i + n], i + n
        else:
            raise ValueError(f"wire type {wire} not expected in the vectors")
        yield number, wire, value


def chunk(data):
    return struct.pack(">H", len(data)) + data


def main():
    envelopes = {}  # name -> serialized SignedEnvelope
    frames = {}  # name -> whole frame (length prefix and body)

    for path in sorted(glob.glob(os.path.join(VECTORS, "*.json"))):
        name = os.path.splitext(os.path.basename(path))[0]
        if name == "handshake":
            continue
        vector = load(os.path.basename(path))
        frames[name] = bytes.fromhex(vector["frame"])
        for number, _, value in fields(body(vector["frame"])):
            if number == 3:  # Frame.envelope
                envelopes[name] = value
            if number == 8:  # Frame.peer_exchange_response: its records are envelopes
                for n, _, record in fields(value):
                    if n == 1:
                        envelopes[name + "_record"] = record

    handshake = load("handshake.json")
    dialer, listener = handshake["dialer"], handshake["listener"]
    for role, side in (("dialer", dialer), ("listener", listener)):
        frames[f"handshake_{role}_hello"] = bytes.fromhex(side["hello_frame"])
        frames[f"handshake_{role}_proof"] = bytes.fromhex(side["proof_frame"])

    # FuzzFrameDecoder: byte streams. The encrypted frames open under the target's fixed key
    # (the dialler's send key) in counter order, so they go in one stream.
    for name, frame in frames.items():
        write("FuzzFrameDecoder", name, frame)
    write("FuzzFrameDecoder", "handshake_dialer_encrypted",
          b"".join(bytes.fromhex(f["bytes"]) for f in handshake["dialer_encrypted_frames"]))
    write("FuzzFrameDecoder", "stream_all_plain", b"".join(frames[n] for n in sorted(frames)))

    # FuzzEnvelope: mode 0 (a received envelope) and mode 1 (fields signed by the harness).
    for name, envelope in envelopes.items():
        write("FuzzEnvelope", f"raw_{name}", b"\x00" + envelope)
    for path in sorted(glob.glob(os.path.join(VECTORS, "envelope_*.json"))):
        name = os.path.splitext(os.path.basename(path))[0]
        vector = load(os.path.basename(path))
        fields_ = (bytes([1, PAYLOAD_TYPES.index(vector["payload_type"])])
                   + struct.pack(">Q", vector["timestamp_ms"]) + bytes([0, 0])
                   + bytes.fromhex(vector["nonce"]) + bytes.fromhex(vector["payload"]))
        write("FuzzEnvelope", f"signed_{name}", fields_)
    # Regression: a validly signed TaskRequest with timestamp_ms 2^64-1. Before 5ab8bcb,
    # ReplayGuard.admit computed timestamp_ms + skew and trapped on the overflow (a remote crash).
    write("FuzzEnvelope", "regression_replay_timestamp_overflow",
          bytes([1, PAYLOAD_TYPES.index("grid.v1.TaskRequest")]) + b"\xff" * 8 + bytes([0, 0]) + bytes(range(16)))

    # FuzzHandshake: flags byte, then chunks. The vector's frames complete a handshake in
    # either role; length-0 chunks pick the real peer's frames.
    def token(n):
        return b"\x00\x00" + bytes([n])

    hs = {
        "dialer_vector_frames": b"\x01" + chunk(body(listener["hello_frame"])) + chunk(body(listener["proof_frame"])),
        "listener_vector_frames": b"\x00" + chunk(body(dialer["hello_frame"])) + chunk(body(dialer["proof_frame"])),
        "dialer_pinned": b"\x03" + chunk(body(listener["hello_frame"])) + chunk(body(listener["proof_frame"])),
        "dialer_pinned_stranger": b"\x07" + chunk(body(listener["hello_frame"])) + chunk(body(listener["proof_frame"])),
        "dialer_peer_frames": b"\x01" + token(0) + token(1),
        "listener_peer_frames": b"\x00" + token(0) + token(1),
        "dialer_wide_versions": b"\x09" + token(0) + token(1),
        "listener_wide_versions": b"\x08" + token(0) + token(1),
        "dialer_proof_first": b"\x01" + token(1) + token(0),
        "dialer_error": b"\x01" + token(0) + token(2),
        "dialer_reflected": b"\x01" + token(3) + token(4),
        "listener_reflected_proof": b"\x00" + token(0) + token(4),
        "not_started": b"\x11" + token(0) + token(1),
        "deadline_only": b"\x01",
        "established_then_more": b"\x01" + token(0) + token(1) + token(0) + chunk(body(frames["frame_ping"])),
        "dialer_plain_frames": b"\x01" + b"".join(chunk(body(frames[n])) for n in sorted(frames) if n.startswith("frame_")),
    }
    for name, data in hs.items():
        write("FuzzHandshake", name, data)

    for target in ("FuzzFrameDecoder", "FuzzEnvelope", "FuzzHandshake"):
        print(f"{target}: {len(os.listdir(os.path.join(CORPUS, target)))} files")


if __name__ == "__main__":
    main()
