"""A small, independent reference implementation of the Grid wire protocol (grid.v1).

Written from the schema (Protocol/grid.proto) and the byte layouts of the specification
(Protocol/README.md), not from the Swift code's logic, so that the test vectors are checked by a
second implementation: if both agree on every byte, a third party can build an interoperable node
from the same documents. (The layouts of the encrypted handshake and framing were taken from the
layout comments in Sources/GridWire while Protocol/README.md was being rewritten for them.)

Covers: the protobuf wire format of the grid.v1 messages (no protobuf library: the format is
small and writing it out is part of the check), length-prefixed framing and its parsing rules,
envelope signed bytes with Ed25519 (verified with libsodium's refusals, each named), the drop
reasons of an envelope and the error codes of a Hello, the handshake's transcript hash, proof
bytes and channel keys (libsodium crypto_kx rebuilt from X25519 and BLAKE2b), and
ChaCha20-Poly1305 frame encryption.

Messages are plain dicts keyed by field name. Needs Python 3 and the `cryptography` package.
"""

import hashlib
import struct
from typing import NamedTuple, Optional

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305


class WireError(Exception):
    """Bytes that are not a valid Grid frame, message or envelope."""


class NotUTF8(WireError):
    """A string field whose bytes are not valid UTF-8."""


class Refused(WireError):
    """An input refused by a named rule of the specification; `rule` is the name the negative
    vectors use (README.md, "Test vectors")."""

    def __init__(self, rule: str, message: str):
        super().__init__(f"{rule}: {message}")
        self.rule = rule


# --- Schema (Protocol/grid.proto) -------------------------------------------------------------

class Field(NamedTuple):
    number: int
    name: str
    kind: str                    # uint32 | uint64 | bool | enum | string | bytes | message
    message: str = ""            # the message type, when kind == "message"
    repeated: bool = False
    oneof: str = ""              # the oneof group, if any


def _f(number, name, kind, message="", repeated=False, oneof=""):
    return Field(number, name, kind, message, repeated, oneof)


# Fields in field-number order: that is also the order they are written in.
SCHEMA = {
    "Frame": [
        _f(1, "hello", "bytes", oneof="body"),
        _f(2, "hello_proof", "message", "HelloProof", oneof="body"),
        _f(3, "envelope", "message", "SignedEnvelope", oneof="body"),
        _f(4, "error", "message", "Error", oneof="body"),
        _f(5, "ping", "message", "Ping", oneof="body"),
        _f(6, "pong", "message", "Pong", oneof="body"),
        _f(7, "peer_exchange_request", "message", "PeerExchangeRequest", oneof="body"),
        _f(8, "peer_exchange_response", "message", "PeerExchangeResponse", oneof="body"),
        _f(9, "goodbye", "message", "Goodbye", oneof="body"),
    ],
    "Hello": [
        _f(1, "protocol_version", "uint32"),
        _f(2, "node_id", "bytes"),
        _f(3, "ephemeral_key", "bytes"),
        _f(4, "listen_address", "string"),
        _f(5, "min_protocol_version", "uint32"),
        _f(6, "network_id", "string"),
    ],
    "HelloProof": [_f(1, "signature", "bytes")],
    "SignedEnvelope": [
        _f(1, "author", "bytes"),
        _f(2, "payload_type", "string"),
        _f(3, "payload", "bytes"),
        _f(4, "timestamp_ms", "uint64"),
        _f(5, "nonce", "bytes"),
        _f(6, "signature", "bytes"),
    ],
    "Error": [_f(1, "code", "enum"), _f(2, "message", "string")],
    "Ping": [_f(1, "nonce", "uint64")],
    "Pong": [_f(1, "nonce", "uint64")],
    "PeerExchangeRequest": [_f(1, "max_records", "uint32")],
    "PeerExchangeResponse": [_f(1, "records", "message", "SignedEnvelope", repeated=True)],
    "Goodbye": [_f(1, "reason", "enum"), _f(2, "message", "string")],
    "PeerRecord": [_f(1, "addresses", "string", repeated=True), _f(2, "network_id", "string")],
    "SkillAnnouncement": [
        _f(1, "skills", "string", repeated=True),
        _f(2, "capacity", "uint32"),
        _f(3, "load", "uint32"),
        _f(4, "queued", "uint32"),
        _f(5, "max_queued", "uint32"),
        _f(6, "deterministic_skills", "string", repeated=True),
    ],
    "TaskRequest": [
        _f(1, "task_id", "bytes"),
        _f(2, "skill", "string"),
        _f(3, "input", "bytes"),
        _f(4, "deadline_ms", "uint32"),
        _f(5, "priority", "uint32"),
        _f(6, "min_trust_ppm", "uint32"),
    ],
    "TaskAck": [
        _f(1, "task_id", "bytes"),
        _f(2, "accepted", "bool"),
        _f(3, "queue_position", "uint32"),
        _f(4, "reason", "enum"),
        _f(5, "message", "string"),
    ],
    "TaskResult": [
        _f(1, "task_id", "bytes"),
        _f(2, "output", "bytes", oneof="outcome"),
        _f(3, "error", "message", "TaskError", oneof="outcome"),
        _f(4, "execution_time_us", "uint64"),
        _f(5, "request_digest", "bytes"),
    ],
    "TaskProgress": [
        _f(1, "task_id", "bytes"),
        _f(2, "request_digest", "bytes"),
        _f(3, "stage", "enum"),
        _f(4, "fraction_ppm", "uint32"),
        _f(5, "has_fraction", "bool"),
        _f(6, "message", "string"),
        _f(7, "sequence", "uint32"),
    ],
    "TaskError": [_f(1, "code", "enum"), _f(2, "message", "string")],
    "TaskCancel": [_f(1, "task_id", "bytes"), _f(2, "reason", "string")],
    "TrustReport": [
        _f(1, "epoch", "uint64"),
        _f(2, "entries", "message", "TrustEntry", repeated=True),
    ],
    "TrustEntry": [_f(1, "node_id", "bytes"), _f(2, "trust_ppm", "uint32")],
    "SignedRun": [
        _f(1, "request", "message", "SignedEnvelope"),
        _f(2, "result", "message", "SignedEnvelope"),
    ],
    "ConvictionEvidence": [
        _f(1, "accused", "message", "SignedRun"),
        _f(2, "witnesses", "message", "SignedRun", repeated=True),
    ],
}

# The messages a SignedEnvelope may carry, by their payload_type (the protobuf full name).
PAYLOAD_TYPES = {
    "grid.v1." + name: name
    for name in ("PeerRecord", "SkillAnnouncement", "TaskRequest", "TaskAck", "TaskResult",
                 "TaskProgress", "TaskCancel", "TrustReport", "ConvictionEvidence")
}

# Enum values by name (grid.proto), for readable checks.
ERROR_CODE = {name: i for i, name in enumerate((
    "UNSPECIFIED", "PROTOCOL_VERSION", "BAD_PROOF", "PINNED_KEY", "SELF_CONNECTION", "DUPLICATE",
    "MALFORMED", "HANDSHAKE_TIMEOUT", "WRONG_NETWORK", "RATE_LIMITED", "TOO_MANY_CONNECTIONS",
    "FRAME_TOO_LARGE"))}
GOODBYE_REASON = {"UNSPECIFIED": 0, "SHUTDOWN": 1, "MISBEHAVIOUR": 2, "IDLE": 3}
REJECT_REASON = {name: i for i, name in enumerate((
    "UNSPECIFIED", "UNKNOWN_SKILL", "BUSY", "UNTRUSTED", "EXPIRED", "INVALID", "TOO_LARGE"))}
TASK_ERROR_CODE = {name: i for i, name in enumerate((
    "UNSPECIFIED", "SKILL_FAILED", "INVALID_INPUT", "TIMED_OUT", "INTERNAL", "CANCELLED"))}
TASK_PROGRESS_STAGE = {"UNSPECIFIED": 0, "STARTED": 1, "PROGRESS": 2}

_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5
_DEFAULTS = {"uint32": 0, "uint64": 0, "bool": False, "enum": 0, "string": "", "bytes": b""}
_LIMITS = {"uint32": 1 << 32, "uint64": 1 << 64}


# --- Protobuf wire format ---------------------------------------------------------------------

def encode_varint(value: int) -> bytes:
    if value < 0:
        value += 1 << 64  # negative enum values: two's complement, 10 bytes, as protobuf does
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def decode_varint(data: bytes, pos: int) -> tuple:
    """(value, position after it). At most 10 bytes, as protobuf allows."""
    value = 0
    for i in range(10):
        if pos >= len(data):
            raise WireError("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            if value >= 1 << 64:
                raise WireError("varint above 64 bits")
            return value, pos
    raise WireError("varint longer than 10 bytes")


def _encode_value(field: Field, value) -> bytes:
    key = lambda wire_type: encode_varint(field.number << 3 | wire_type)
    if field.kind in ("uint32", "uint64", "enum"):
        return key(_VARINT) + encode_varint(value)
    if field.kind == "bool":
        return key(_VARINT) + encode_varint(1 if value else 0)
    if field.kind == "string":
        value = value.encode("utf-8")
    elif field.kind == "message":
        value = encode(field.message, value)
    return key(_LEN) + encode_varint(len(value)) + value


def encode(message_type: str, message: dict) -> bytes:
    """Serializes as proto3 does (and as every protobuf library does in practice): fields in
    field-number order, a field at its default value left out, except a oneof member, which is
    written whenever it is the one set (that is how an empty `hello` or `output` is told apart
    from none)."""
    out = bytearray()
    for field in SCHEMA[message_type]:
        if field.name not in message:
            continue
        value = message[field.name]
        if field.repeated:
            for item in value:
                out += _encode_value(field, item)
        elif field.oneof or field.kind == "message" or value != _DEFAULTS[field.kind]:
            out += _encode_value(field, value)
    return bytes(out)


def _skip(data: bytes, pos: int, wire_type: int) -> int:
    if wire_type == _VARINT:
        return decode_varint(data, pos)[1]
    if wire_type == _I64:
        pos += 8
    elif wire_type == _I32:
        pos += 4
    elif wire_type == _LEN:
        length, pos = decode_varint(data, pos)
        pos += length
    else:
        raise WireError(f"unsupported wire type {wire_type}")
    if pos > len(data):
        raise WireError("truncated field")
    return pos


def decode(message_type: str, data: bytes) -> dict:
    """Parses `data` as `message_type`. Absent singular fields get their default value; a oneof
    member is present only when it was on the wire, so at most one per group; unknown fields
    are skipped (grid.proto: they are ignored). A singular field seen twice keeps the last value,
    and a string must be valid UTF-8 (the spec's framing rules close the connection otherwise).
    Stricter than protobuf on one point, to make a bad vector obvious: an integer too large for
    its field is refused rather than truncated."""
    fields = {f.number: f for f in SCHEMA[message_type]}
    message = {}
    for f in SCHEMA[message_type]:
        if f.repeated:
            message[f.name] = []
        elif not f.oneof and f.kind != "message":
            message[f.name] = _DEFAULTS[f.kind]
    pos = 0
    while pos < len(data):
        key, pos = decode_varint(data, pos)
        number, wire_type = key >> 3, key & 7
        if number == 0:
            raise WireError("field number 0")
        field = fields.get(number)
        if field is None:
            pos = _skip(data, pos, wire_type)
            continue
        if field.kind in ("uint32", "uint64", "enum", "bool"):
            if wire_type != _VARINT:
                raise WireError(f"{message_type}.{field.name}: wire type {wire_type}, expected a varint")
            value, pos = decode_varint(data, pos)
            if field.kind == "bool":
                value = value != 0
            elif field.kind == "enum":
                value = value - (1 << 64) if value >= 1 << 63 else value
                if not -(1 << 31) <= value < 1 << 31:
                    raise WireError(f"{message_type}.{field.name}: enum value out of int32 range")
            elif value >= _LIMITS[field.kind]:
                raise WireError(f"{message_type}.{field.name}: {value} does not fit a {field.kind}")
        else:
            if wire_type != _LEN:
                raise WireError(f"{message_type}.{field.name}: wire type {wire_type}, expected length-delimited")
            length, pos = decode_varint(data, pos)
            if pos + length > len(data):
                raise WireError(f"{message_type}.{field.name}: {length} bytes announced, {len(data) - pos} left")
            value, pos = bytes(data[pos:pos + length]), pos + length
            if field.kind == "string":
                try:
                    value = value.decode("utf-8")
                except UnicodeDecodeError:
                    raise NotUTF8(f"{message_type}.{field.name} is not valid UTF-8") from None
            elif field.kind == "message":
                value = decode(field.message, value)
        if field.repeated:
            message[field.name].append(value)
        else:
            if field.oneof:  # setting one member of a oneof clears the others
                for other in SCHEMA[message_type]:
                    if other.oneof == field.oneof:
                        message.pop(other.name, None)
            message[field.name] = value
    return message


def oneof_case(message_type: str, message: dict, group: str) -> Optional[str]:
    """The name of the member of oneof `group` that is set, or None."""
    return next((f.name for f in SCHEMA[message_type] if f.oneof == group and f.name in message), None)


# --- Framing (4-byte big-endian length, then the body) ----------------------------------------

MAX_FRAME_BYTES = 4 * 1024 * 1024  # the receiver's default maxFrameBytes
TAG_BYTES = 16                     # an encrypted body is the frame plus the Poly1305 tag


def length_prefix(count: int) -> bytes:
    return struct.pack(">I", count)


def split_frame(data: bytes, max_body: int = MAX_FRAME_BYTES + TAG_BYTES) -> tuple:
    """(body, rest) of the first frame in `data`; refuses a length of 0, above `max_body`, or
    longer than the data."""
    if len(data) < 4:
        raise WireError("fewer than 4 bytes: no length prefix")
    (length,) = struct.unpack(">I", data[:4])
    if length == 0:
        raise Refused("length_zero", "frame of length 0")
    if length > max_body:
        raise Refused("length_too_large", f"frame of {length} bytes, above the limit of {max_body}")
    if len(data) < 4 + length:
        raise WireError(f"frame announces {length} bytes, only {len(data) - 4} follow")
    return data[4:4 + length], data[4 + length:]


def encode_frame(frame: dict) -> bytes:
    """A Frame serialized and length-prefixed (a plain frame: the handshake's)."""
    body = encode("Frame", frame)
    if len(body) > MAX_FRAME_BYTES:
        raise WireError(f"refusing to send a frame of {len(body)} bytes")
    return length_prefix(len(body)) + body


def decode_frame(data: bytes) -> dict:
    """Exactly one length-prefixed plain Frame (the same length limit as encrypted bodies: the
    receiver checks it before knowing which kind of body follows)."""
    body, rest = split_frame(data)
    if rest:
        raise WireError(f"{len(rest)} bytes after the frame")
    return parse_frame_body(body)


def parse_frame_body(body: bytes) -> dict:
    """A frame body (plain, or the plaintext of an encrypted one) as a Frame, by the parsing rules
    of README.md, "Framing"; a body that breaks one raises Refused naming it: `not_protobuf` (it
    does not decode), `not_utf8` (a string field anywhere in it), `field_twice` (a field number
    twice at the top level of the Frame or of its SignedEnvelope), `two_bodies` (two of the body
    fields 1-9)."""
    try:
        frame = decode("Frame", body)
    except NotUTF8 as error:
        raise Refused("not_utf8", str(error)) from None
    except WireError as error:
        raise Refused("not_protobuf", str(error)) from None
    numbers = [number for number, _, _ in _top_level_fields(body)]
    repeated = _first_repeated(numbers)
    if repeated is not None:
        raise Refused("field_twice", f"field {repeated} of the Frame appears more than once")
    bodies = [number for number in numbers if 1 <= number <= 9]
    if len(bodies) > 1:
        raise Refused("two_bodies", f"the Frame holds {len(bodies)} of its body fields {bodies}")
    for number, wire_type, content in _top_level_fields(body):
        if number == 3 and wire_type == _LEN:
            repeated = _first_repeated([n for n, _, _ in _top_level_fields(content)])
            if repeated is not None:
                raise Refused("field_twice", f"field {repeated} of the SignedEnvelope appears more than once")
    return frame


def _top_level_fields(data: bytes) -> list:
    """(field number, wire type, content of a length-delimited field) of each field of a message
    that decodes, in wire order."""
    fields, pos = [], 0
    while pos < len(data):
        key, pos = decode_varint(data, pos)
        start = pos
        if key & 7 == _LEN:
            length, start = decode_varint(data, pos)
        pos = _skip(data, pos, key & 7)
        fields.append((key >> 3, key & 7, data[start:pos]))
    return fields


def _first_repeated(numbers: list) -> Optional[int]:
    seen = set()
    for number in numbers:
        if number in seen:
            return number
        seen.add(number)
    return None


# --- Keys -------------------------------------------------------------------------------------

def ed25519_public_key(seed: bytes) -> bytes:
    """The node ID for a 32-byte Ed25519 seed (RFC 8032, as libsodium's crypto_sign_seed_keypair)."""
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def sign(seed: bytes, message: bytes) -> bytes:
    """Pure Ed25519: deterministic, so re-signing reproduces a vector's signature exactly."""
    return Ed25519PrivateKey.from_private_bytes(seed).sign(message)


# The group order of Ed25519 and the field prime (RFC 8032).
ED25519_L = 2**252 + 27742317777372353535851937790883648493
_P = 2**255 - 19
# The y coordinates of the points of small order (1, 2, 4, 8), as libsodium's blocklist: 0 and 1
# (also as their non-canonical encodings p and p + 1), p - 1, and the two of the order-8 points.
_SMALL_ORDER_Y = {0, 1, _P - 1, _P, _P + 1,
                  0x05FC536D880238B13933C6D305ACDFD5F098EFF289F4C345B027B2C28F95E826,
                  0x7A03AC9277FDC74EC6CC392CFA53202A0F67100D760B3CBA4FD84D3D706A17C7}


def _y(encoding: bytes) -> int:
    return int.from_bytes(encoding, "little") & ((1 << 255) - 1)  # the top bit is x's sign


def verify(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """As libsodium's crypto_sign_verify_detached (the spec names it), which is stricter than
    RFC 8032 alone and than OpenSSL: see signature_refusal."""
    return signature_refusal(public_key, signature, message) is None


def signature_refusal(public_key: bytes, signature: bytes, message: bytes) -> Optional[str]:
    """None when the signature verifies, else the first rule that refuses it, in the order of
    README.md, "Signature verification" (libsodium's): `signature_length`, `key_length`,
    `s_not_canonical` (S not below L: a malleable twin), `small_order_r`, `key_not_canonical`
    (y not below p), `small_order_key`, `key_not_a_point`, then the cofactorless equation
    [S]B = R + [k]A with R compared as encoded: `mixed_order_key` when the key has a small-order
    component and the signature holds only in the cofactored equation, else `does_not_verify`.
    OpenSSL alone (the `cryptography` package) accepts a small-order R or key and a non-canonical
    key; the blocklist checks here are what make this as strict as libsodium."""
    if len(signature) != 64:
        return "signature_length"
    if len(public_key) != 32:
        return "key_length"
    if int.from_bytes(signature[32:], "little") >= ED25519_L:
        return "s_not_canonical"
    if _y(signature[:32]) in _SMALL_ORDER_Y:
        return "small_order_r"
    if _y(public_key) >= _P:
        return "key_not_canonical"
    if _y(public_key) in _SMALL_ORDER_Y:
        return "small_order_key"
    key = point_decode(public_key)
    if key is None:
        return "key_not_a_point"
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
        return None
    except (InvalidSignature, ValueError):
        pass
    if not in_prime_order_subgroup(public_key) and equation_holds(public_key, signature, message, cofactor=8):
        return "mixed_order_key"
    return "does_not_verify"


# --- Edwards25519 points, in pure Python: to name why a signature is refused and to show what a
# laxer verifier would do with it (RFC 8032, section 5.1; extended coordinates X, Y, Z, T).

_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)
_IDENTITY = (0, 1, 1, 0)


def point_decode(encoding: bytes, reduce_y: bool = False) -> Optional[tuple]:
    """The point an encoding names, or None (y not below p, unless `reduce_y`, as a lax decoder
    does; or no x for that y)."""
    y, sign = _y(encoding), encoding[31] >> 7
    if reduce_y:
        y %= _P
    if y >= _P:
        return None
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P:
        return None
    if x & 1 != sign:
        x = (_P - x) % _P
    return (x, y, 1, x * y % _P)


def _point_add(p: tuple, q: tuple) -> tuple:
    x1, y1, z1, t1 = p
    x2, y2, z2, t2 = q
    a, b = (y1 - x1) * (y2 - x2) % _P, (y1 + x1) * (y2 + x2) % _P
    c, d = t1 * 2 * _D * t2 % _P, z1 * 2 * z2 % _P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _point_mul(scalar: int, point: tuple) -> tuple:
    result = _IDENTITY
    while scalar:
        if scalar & 1:
            result = _point_add(result, point)
        point, scalar = _point_add(point, point), scalar >> 1
    return result


def _point_equal(p: tuple, q: tuple) -> bool:
    return (p[0] * q[2] - q[0] * p[2]) % _P == 0 and (p[1] * q[2] - q[1] * p[2]) % _P == 0


def _is_identity(p: tuple) -> bool:
    return _point_equal(p, _IDENTITY)


def in_prime_order_subgroup(encoding: bytes) -> bool:
    """Whether the encoding names a point P with [L]P the identity (y reduced mod p)."""
    point = point_decode(encoding, reduce_y=True)
    return point is not None and _is_identity(_point_mul(ED25519_L, point))


def is_identity(encoding: bytes) -> bool:
    """Whether the encoding names the identity point (y reduced mod p)."""
    point = point_decode(encoding, reduce_y=True)
    return point is not None and _is_identity(point)


_BASE = point_decode((4 * pow(5, _P - 2, _P) % _P).to_bytes(32, "little"))


def equation_holds(public_key: bytes, signature: bytes, message: bytes, cofactor: int = 1) -> bool:
    """Whether [c][S]B = [c]R + [c][k]A (k = SHA-512(R || A || M) mod L, c the cofactor: 1 or 8)
    holds as points, checking nothing else: S is taken as it is, even if not below L, and y of R
    and of A is reduced mod p. This is the equation a lax verifier checks, not the node's rule."""
    key, r = point_decode(public_key, reduce_y=True), point_decode(signature[:32], reduce_y=True)
    if key is None or r is None:
        return False
    k = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(), "little") % ED25519_L
    s = int.from_bytes(signature[32:], "little")
    left = _point_mul(cofactor * s, _BASE)
    right = _point_mul(cofactor, _point_add(r, _point_mul(k, key)))
    return _point_equal(left, right)


def x25519_secret_from_seed(seed: bytes) -> bytes:
    """libsodium crypto_kx_seed_keypair: the secret key is the unkeyed BLAKE2b-256 of the seed."""
    if len(seed) != 32:
        raise WireError("an X25519 seed is 32 bytes")
    return hashlib.blake2b(seed, digest_size=32).digest()


def x25519_public_key(secret: bytes) -> bytes:
    return X25519PrivateKey.from_private_bytes(secret).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


# --- Signed envelope --------------------------------------------------------------------------

ENVELOPE_DOMAIN = b"grid/envelope/v1\x00"


def check_envelope_fields(payload_type: str, nonce: bytes) -> None:
    """The sizes the signed bytes rely on: without them two envelopes could share signed bytes."""
    raw = payload_type.encode("utf-8")
    if not 1 <= len(raw) <= 255 or any(not 0x21 <= b <= 0x7E for b in raw):
        raise WireError("payload_type must be 1-255 printable ASCII characters other than space")
    if len(nonce) != 16:
        raise WireError(f"envelope nonce is {len(nonce)} bytes, not 16")


def envelope_signed_bytes(payload_type: str, timestamp_ms: int, nonce: bytes, payload: bytes) -> bytes:
    """domain ‖ u8 len ‖ payload_type ‖ u64 BE timestamp_ms ‖ 16-byte nonce ‖ u32 BE len ‖ payload."""
    check_envelope_fields(payload_type, nonce)
    kind = payload_type.encode("ascii")
    return (ENVELOPE_DOMAIN + bytes([len(kind)]) + kind + struct.pack(">Q", timestamp_ms) + nonce
            + struct.pack(">I", len(payload)) + payload)


def seal_envelope(seed: bytes, payload_type: str, payload: bytes, timestamp_ms: int, nonce: bytes) -> dict:
    signed = envelope_signed_bytes(payload_type, timestamp_ms, nonce, payload)
    return {"author": ed25519_public_key(seed), "payload_type": payload_type, "payload": payload,
            "timestamp_ms": timestamp_ms, "nonce": nonce, "signature": sign(seed, signed)}


def envelope_drop_reason(envelope: dict) -> Optional[str]:
    """The drop reason of the receiver's checks on an envelope (README.md, "Receiving an
    envelope") that need neither its clock nor its state (1-3, 9, 10), or None when it passes
    them: `malformed`, `bad_signature` or `unexpected`."""
    if len(envelope["author"]) != 32:
        return "malformed"
    try:
        signed = envelope_signed_bytes(envelope["payload_type"], envelope["timestamp_ms"],
                                       envelope["nonce"], envelope["payload"])
    except WireError:
        return "malformed"
    if not verify(envelope["author"], envelope["signature"], signed):
        return "bad_signature"
    message_type = PAYLOAD_TYPES.get(envelope["payload_type"])
    if message_type is None:
        return "unexpected"
    try:
        decode(message_type, envelope["payload"])
    except WireError:
        return "malformed"
    return None


def verify_envelope(envelope: dict) -> dict:
    """The envelope's payload message, decoded, once its author's signature checks out over the
    payload bytes as they arrived (never a re-encoding). Raises WireError otherwise."""
    if len(envelope["author"]) != 32:
        raise WireError(f"envelope author is {len(envelope['author'])} bytes, not 32")
    signed = envelope_signed_bytes(envelope["payload_type"], envelope["timestamp_ms"],
                                   envelope["nonce"], envelope["payload"])
    if not verify(envelope["author"], envelope["signature"], signed):
        raise WireError(f"{envelope['payload_type']} envelope: the signature does not verify")
    message_type = PAYLOAD_TYPES.get(envelope["payload_type"])
    if message_type is None:
        raise WireError(f"unknown payload_type {envelope['payload_type']!r}")
    return decode(message_type, envelope["payload"])


def check_task_progress(progress: dict) -> None:
    """The receiver's checks on a TaskProgress (README.md, `grid.v1.TaskProgress`): a message
    that fails one is dropped as malformed. `fraction_ppm` counts only when `has_fraction` is set."""
    if len(progress["task_id"]) != 16:
        raise WireError(f"TaskProgress task_id is {len(progress['task_id'])} bytes, not 16")
    if len(progress["request_digest"]) != 32:
        raise WireError(f"TaskProgress request_digest is {len(progress['request_digest'])} bytes, not 32")
    if progress["stage"] not in (TASK_PROGRESS_STAGE["STARTED"], TASK_PROGRESS_STAGE["PROGRESS"]):
        raise WireError(f"TaskProgress stage {progress['stage']} is neither STARTED nor PROGRESS")
    if progress["has_fraction"] and progress["fraction_ppm"] > 1_000_000:
        raise WireError(f"TaskProgress fraction_ppm {progress['fraction_ppm']} is above 1000000")
    if len(progress["message"].encode("utf-8")) > 200:
        raise WireError("TaskProgress message is longer than 200 bytes of UTF-8")
    if progress["sequence"] == 0:
        raise WireError("TaskProgress sequence is 0; sequences start at 1")


# --- Conviction evidence (README.md, `grid.v1.ConvictionEvidence`) ---------------------------

class EvidenceError(WireError):
    """A ConvictionEvidence that breaks a structural rule; `rule` names it as the negative vectors do."""

    def __init__(self, rule: str, message: str):
        super().__init__(f"{rule}: {message}")
        self.rule = rule


ENVELOPE_ALLOWANCE = 1024  # room left in a frame for the evidence's own envelope
SKILL_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-")


def _is_skill_name(name: str) -> bool:
    return (1 <= len(name) <= 64 and name[0] in "abcdefghijklmnopqrstuvwxyz0123456789"
            and all(c in SKILL_NAME_CHARS for c in name))


def _open_claim(run: dict, field: str, message_type: str, what: str) -> tuple:
    """(payload message, author) of the run's `field` envelope, or the rule it breaks."""
    if field not in run:
        raise EvidenceError("bad_signature", f"{what} is missing")
    envelope = run[field]
    try:
        if len(envelope["author"]) != 32:
            raise WireError("envelope author is not 32 bytes")
        signed = envelope_signed_bytes(envelope["payload_type"], envelope["timestamp_ms"],
                                       envelope["nonce"], envelope["payload"])
        if not verify(envelope["author"], envelope["signature"], signed):
            raise WireError("the signature does not verify")
    except WireError as error:
        raise EvidenceError("bad_signature", f"{what}: {error}") from None
    if envelope["payload_type"] != "grid.v1." + message_type:
        raise EvidenceError("wrong_payload_type", f"{what} is a {envelope['payload_type']}, not a grid.v1.{message_type}")
    try:
        return decode(message_type, envelope["payload"]), envelope["author"]
    except WireError:
        raise EvidenceError("malformed_payload", f"{what}'s payload does not parse as a {message_type}") from None


def check_conviction_evidence(evidence: dict, payload_size: int, max_frame_bytes: int = MAX_FRAME_BYTES) -> None:
    """The receiver's structural checks, in the specification's order; raises EvidenceError
    naming the first rule broken."""
    if payload_size > max_frame_bytes - ENVELOPE_ALLOWANCE:
        raise EvidenceError("too_large", f"{payload_size} bytes is more than fits in a frame with its envelope")
    witnesses = evidence["witnesses"]
    if not 2 <= len(witnesses) <= 6:
        raise EvidenceError("witness_count", f"{len(witnesses)} witness runs; 2 to 6 are needed")
    runs = [("the accused's run", evidence.get("accused", {}))]
    runs += [(f"witness run {i + 1}", w) for i, w in enumerate(witnesses)]
    opened = []
    for what, run in runs:
        request, requester = _open_claim(run, "request", "TaskRequest", f"{what}'s request")
        result, executor = _open_claim(run, "result", "TaskResult", f"{what}'s result")
        opened.append((what, run, request, requester, result, executor))
    first = opened[0][2]
    if len(first["task_id"]) != 16 or not _is_skill_name(first["skill"]):
        raise EvidenceError("invalid_task", "task_id is not 16 bytes or skill is not a skill name")
    for what, _, request, *_ in opened[1:]:
        if (request["task_id"], request["skill"], request["input"]) != (first["task_id"], first["skill"], first["input"]):
            raise EvidenceError("different_task", f"{what} asks for another task")
    for what, _, _, requester, *_ in opened[1:]:
        if requester != opened[0][3]:
            raise EvidenceError("different_requester", f"{what}'s request has another signer")
    outputs = []
    for what, run, request, _, result, _ in opened:
        if result["task_id"] != request["task_id"]:
            raise EvidenceError("result_task_mismatch", f"{what}'s result is for another task_id")
        if result["request_digest"] != hashlib.sha256(run["request"]["payload"]).digest():
            raise EvidenceError("request_digest_mismatch", f"{what}'s result does not name its own request")
        if oneof_case("TaskResult", result, "outcome") != "output":
            raise EvidenceError("no_output", f"{what}'s result carries no output")
        outputs.append(result["output"])
    accused, seen = opened[0][5], set()
    for what, *_, executor in opened[1:]:
        if executor == accused:
            raise EvidenceError("witness_is_accused", f"{what} is signed by the accused")
        if executor in seen:
            raise EvidenceError("duplicate_witness", f"{what} is signed by an earlier witness")
        seen.add(executor)
    if any(output != outputs[1] for output in outputs[2:]):
        raise EvidenceError("witnesses_disagree", "the witnesses' outputs differ")
    if outputs[1] == outputs[0]:
        raise EvidenceError("same_output", "the witnesses' output is the accused's")


# --- Handshake --------------------------------------------------------------------------------

TRANSCRIPT_DOMAIN = b"grid/transcript/v1\x00"
PROOF_DOMAIN = b"grid/handshake/v1\x00"


def transcript_hash(dialer_hello: bytes, listener_hello: bytes) -> bytes:
    """SHA-256 over the exact Hello bytes both sides sent (so both hash the same thing), each
    length-prefixed, dialler's first."""
    return hashlib.sha256(TRANSCRIPT_DOMAIN + length_prefix(len(dialer_hello)) + dialer_hello
                          + length_prefix(len(listener_hello)) + listener_hello).digest()


class HelloReceiver(NamedTuple):
    """The side that receives a Hello: what its checks compare the Hello with."""
    node_id: bytes
    network_id: str
    ephemeral_secret: bytes
    ephemeral_public: bytes
    is_dialer: bool
    versions: tuple = (1, 1)         # (lowest, highest) protocol version it speaks
    expected_peer: Optional[bytes] = None  # the key pinned to the address it dialled


def hello_refusal(hello_bytes: bytes, receiver: HelloReceiver) -> Optional[str]:
    """The error code the receiver sends for the peer's Hello (README.md, "Checks on the peer's
    Hello", in order), as its name (`ERROR_CODE_MALFORMED`, ...), or None when it passes."""
    try:
        hello = decode("Hello", hello_bytes)
    except WireError:
        return "ERROR_CODE_MALFORMED"
    highest = hello["protocol_version"]
    lowest = hello["min_protocol_version"] or highest
    if highest == 0 or lowest > highest:
        return "ERROR_CODE_MALFORMED"
    if min(receiver.versions[1], highest) < max(receiver.versions[0], lowest):
        return "ERROR_CODE_PROTOCOL_VERSION"
    if hello["network_id"] != receiver.network_id:
        return "ERROR_CODE_WRONG_NETWORK"
    if len(hello["node_id"]) != 32 or len(hello["ephemeral_key"]) != 32:
        return "ERROR_CODE_MALFORMED"
    if hello["node_id"] == receiver.node_id:
        return "ERROR_CODE_SELF_CONNECTION"
    if receiver.expected_peer is not None and hello["node_id"] != receiver.expected_peer:
        return "ERROR_CODE_PINNED_KEY"
    try:
        kx_session_keys(receiver.ephemeral_secret, receiver.ephemeral_public, hello["ephemeral_key"],
                        receiver.is_dialer)
    except WireError:
        return "ERROR_CODE_MALFORMED"
    return None


def proof_signed_bytes(transcript: bytes, signer_dialed: bool) -> bytes:
    """domain ‖ role (0 dialler, 1 listener: a proof cannot be reflected to its author) ‖ hash."""
    return PROOF_DOMAIN + bytes([0 if signer_dialed else 1]) + transcript


def kx_session_keys(own_secret: bytes, own_public: bytes, peer_public: bytes, as_dialer: bool) -> tuple:
    """libsodium crypto_kx session keys, (receive, send); the dialler is the client.
    h = BLAKE2b-512(X25519(own, peer) ‖ client_pk ‖ server_pk); client: rx = h[:32], tx = h[32:];
    the server the other way round, so each side's send key is the other's receive key."""
    try:
        shared = X25519PrivateKey.from_private_bytes(own_secret).exchange(
            X25519PublicKey.from_public_bytes(peer_public))
    except ValueError:  # an all-zero result: the peer sent a low-order point (libsodium fails too)
        raise WireError("the peer's ephemeral key is not usable (a low-order point)") from None
    client, server = (own_public, peer_public) if as_dialer else (peer_public, own_public)
    h = hashlib.blake2b(shared + client + server, digest_size=64).digest()
    return (h[:32], h[32:]) if as_dialer else (h[32:], h[:32])


def channel_keys(own_secret: bytes, own_public: bytes, peer_public: bytes, as_dialer: bool,
                 transcript: bytes) -> tuple:
    """(receive, send): each crypto_kx key bound to the transcript as keyed BLAKE2b-256
    (message = transcript hash, key = session key)."""
    return tuple(hashlib.blake2b(transcript, key=k, digest_size=32).digest()
                 for k in kx_session_keys(own_secret, own_public, peer_public, as_dialer))


# --- Encrypted frames -------------------------------------------------------------------------

def frame_nonce(counter: int) -> bytes:
    """4 zero bytes ‖ the frame counter, 64-bit little-endian."""
    return b"\x00" * 4 + struct.pack("<Q", counter)


def seal_frame(key: bytes, counter: int, plaintext_body: bytes) -> bytes:
    """A serialized Frame, encrypted and length-prefixed. The prefix (which counts the tag) is
    the associated data, so a frame cannot be cut or padded without the tag failing."""
    prefix = length_prefix(len(plaintext_body) + TAG_BYTES)
    return prefix + ChaCha20Poly1305(key).encrypt(frame_nonce(counter), plaintext_body, prefix)


def open_frame(key: bytes, counter: int, encrypted_body: bytes) -> bytes:
    """The plaintext Frame bytes of an encrypted body (the bytes after its length prefix).
    Raises WireError if anything differs: key, counter (replayed, reordered, dropped), bytes."""
    try:
        return ChaCha20Poly1305(key).decrypt(frame_nonce(counter), encrypted_body,
                                             length_prefix(len(encrypted_body)))
    except InvalidTag:
        raise WireError(f"frame {counter} does not decrypt") from None
