"""The values the node answers with, as dataclasses (Protocol/local-api.md, "Result objects")."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from .errors import TaskFailed

#: Task statuses.
RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"

#: Event kinds that end a task.
FINAL_EVENT_KINDS = (SUCCEEDED, FAILED)


def _opt_int(value: Any) -> Optional[int]:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _opt_float(value: Any) -> Optional[float]:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _opt_str(value: Any) -> Optional[str]:
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Attempt:
    """One try of a task on a node."""

    node_id: str
    replica: int
    outcome: str
    latency_ms: Optional[float]

    @classmethod
    def from_json(cls, obj: Dict[str, Any]) -> "Attempt":
        return cls(node_id=str(obj.get("nodeId", "")), replica=_opt_int(obj.get("replica")) or 0,
                   outcome=str(obj.get("outcome", "")), latency_ms=_opt_float(obj.get("latencyMs")))


@dataclass(frozen=True)
class Task:
    """A task as the node shows it (a TaskView).

    ``output`` is the output's bytes on success (``None`` otherwise); ``output_text`` the same as
    text when it is valid UTF-8. On failure ``error_code`` is the failure reason and
    ``error_message`` what went wrong. ``raw`` is the TaskView exactly as the node sent it.
    """

    task_id: str
    skill: str
    status: str
    submitted_at_ms: int = 0
    finished_at_ms: Optional[int] = None
    executor: Optional[str] = None
    output: Optional[bytes] = None
    output_text: Optional[str] = None
    error_code: Optional[str] = None
    error_message: Optional[str] = None
    attempts: Tuple[Attempt, ...] = ()
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_view(cls, view: Dict[str, Any]) -> "Task":
        """Reads a TaskView object."""
        if not isinstance(view, dict):
            raise ValueError(f"a TaskView must be a JSON object, not {type(view).__name__}")
        output: Optional[bytes] = None
        text: Optional[str] = None
        if isinstance(view.get("output"), str):
            text = view["output"]
            output = text.encode("utf-8")
        elif isinstance(view.get("outputBase64"), str):
            try:
                output = base64.b64decode(view["outputBase64"], validate=True)
            except (binascii.Error, ValueError):
                output = None
            else:
                try:
                    text = output.decode("utf-8")
                except UnicodeDecodeError:
                    text = None
        raw_error = view.get("error")
        error: Dict[str, Any] = raw_error if isinstance(raw_error, dict) else {}
        attempts = tuple(Attempt.from_json(a) for a in view.get("attempts") or [] if isinstance(a, dict))
        return cls(
            task_id=str(view.get("taskId", "")),
            skill=str(view.get("skill", "")),
            status=str(view.get("status", "")),
            submitted_at_ms=_opt_int(view.get("submittedAtMs")) or 0,
            finished_at_ms=_opt_int(view.get("finishedAtMs")),
            executor=_opt_str(view.get("executor")),
            output=output,
            output_text=text,
            error_code=_opt_str(error.get("code")),
            error_message=_opt_str(error.get("message")),
            attempts=attempts,
            raw=dict(view),
        )

    @property
    def done(self) -> bool:
        """The task has ended (succeeded or failed)."""
        return self.status in (SUCCEEDED, FAILED)

    @property
    def ok(self) -> bool:
        """The task succeeded."""
        return self.status == SUCCEEDED

    @property
    def failed(self) -> bool:
        """The task failed."""
        return self.status == FAILED

    def raise_for_status(self) -> "Task":
        """Raises :class:`TaskFailed` when the task failed; returns the task otherwise."""
        if self.failed:
            raise TaskFailed(self.error_code or "internal", self.error_message or "the task failed",
                             self.task_id)
        return self


@dataclass(frozen=True)
class Event:
    """Something that happened to a task (a ``task.event`` notification).

    ``kind`` is ``"submitted"``, ``"queued"``, ``"sent"``, ``"accepted"``, ``"started"``,
    ``"progress"``, ``"retrying"``, ``"verifying"``, ``"succeeded"`` or ``"failed"``; the last two end the task.
    """

    task_id: str
    kind: str
    at_ms: Optional[int] = None
    node_id: Optional[str] = None
    attempt: Optional[int] = None
    queue_position: Optional[int] = None
    fraction: Optional[float] = None
    message: Optional[str] = None
    code: Optional[str] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, task_id: str, event: Dict[str, Any]) -> "Event":
        """Reads the ``event`` object of a ``task.event`` notification."""
        return cls(
            task_id=task_id,
            kind=str(event.get("kind", "")),
            at_ms=_opt_int(event.get("atMs")),
            node_id=_opt_str(event.get("nodeId")),
            attempt=_opt_int(event.get("attempt")),
            queue_position=_opt_int(event.get("queuePosition")),
            fraction=_opt_float(event.get("fraction")),
            message=_opt_str(event.get("message")),
            code=_opt_str(event.get("code")),
            raw=dict(event),
        )

    @classmethod
    def final_for(cls, task: Task) -> "Event":
        """The ``succeeded`` or ``failed`` event that sums up an ended task."""
        return cls(task_id=task.task_id, kind=SUCCEEDED if task.ok else FAILED,
                   at_ms=task.finished_at_ms, node_id=task.executor,
                   message=task.error_message, code=task.error_code)

    @property
    def final(self) -> bool:
        """This event ends the task."""
        return self.kind in FINAL_EVENT_KINDS


@dataclass
class WaitResult:
    """The answer to :meth:`gridclient.Client.wait` for several tasks."""

    done: List[Task]
    pending: List[str]


@dataclass(frozen=True)
class NodeInfo:
    """The node itself (a NodeInfoView)."""

    node_id: str
    listen_address: str
    skills: Tuple[str, ...]
    peer_count: int
    dropped_messages: int
    protocol_version: int
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, obj: Dict[str, Any]) -> "NodeInfo":
        return cls(node_id=str(obj.get("nodeId", "")), listen_address=str(obj.get("listenAddress", "")),
                   skills=tuple(str(s) for s in obj.get("skills") or []),
                   peer_count=_opt_int(obj.get("peerCount")) or 0,
                   dropped_messages=_opt_int(obj.get("droppedMessages")) or 0,
                   protocol_version=_opt_int(obj.get("protocolVersion")) or 0, raw=dict(obj))


@dataclass(frozen=True)
class Peer:
    """A peer of the node (a PeerView)."""

    node_id: str
    state: str
    address: str
    listen_address: str
    direction: str
    skills: Tuple[str, ...]
    connected_at_ms: int = 0
    last_seen: int = 0
    misbehaviour: int = 0
    rtt_ms: Optional[float] = None
    trust: Optional[float] = None
    success_rate: Optional[float] = None
    samples: Optional[int] = None
    latency_ms: Optional[float] = None
    wrong_results: Optional[int] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, obj: Dict[str, Any]) -> "Peer":
        return cls(node_id=str(obj.get("nodeId", "")), state=str(obj.get("state", "")),
                   address=str(obj.get("address", "")), listen_address=str(obj.get("listenAddress", "")),
                   direction=str(obj.get("direction", "")), skills=tuple(str(s) for s in obj.get("skills") or []),
                   connected_at_ms=_opt_int(obj.get("connectedAtMs")) or 0,
                   last_seen=_opt_int(obj.get("lastSeen")) or 0,
                   misbehaviour=_opt_int(obj.get("misbehaviour")) or 0,
                   rtt_ms=_opt_float(obj.get("rttMs")), trust=_opt_float(obj.get("trust")),
                   success_rate=_opt_float(obj.get("successRate")), samples=_opt_int(obj.get("samples")),
                   latency_ms=_opt_float(obj.get("latencyMs")), wrong_results=_opt_int(obj.get("wrongResults")),
                   raw=dict(obj))

    @property
    def connected(self) -> bool:
        """The peer is connected (``alive`` or ``suspect``)."""
        return self.state in ("alive", "suspect")


@dataclass(frozen=True)
class ServedSkill:
    """A skill this connection serves, as ``skill.serve`` reports it."""

    name: str
    capacity: int
    running: int

    @classmethod
    def from_json(cls, obj: Dict[str, Any]) -> "ServedSkill":
        return cls(name=str(obj.get("name", "")), capacity=_opt_int(obj.get("capacity")) or 0,
                   running=_opt_int(obj.get("running")) or 0)
