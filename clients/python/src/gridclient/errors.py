"""The exceptions of :mod:`gridclient`."""

from __future__ import annotations

from typing import Any, Dict, Optional

#: JSON-RPC error codes of the local API (Protocol/local-api.md, "Errors").
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
TASK_FAILED = -32001
TASK_NOT_FOUND = -32002
UNAVAILABLE = -32003

#: The failure reasons a skill handler may answer with (``SkillError(reason=...)``).
SKILL_ERROR_REASONS = ("skill_failed", "invalid_input", "internal", "cancelled")


class GridClientError(Exception):
    """Base class of every exception this package raises."""


class GridError(GridClientError):
    """A JSON-RPC error the node answered with.

    ``code`` is the JSON-RPC error code (for example ``-32602`` for invalid params, ``-32601``
    for a method an older node does not have), ``message`` the node's explanation, written for the
    user, and ``data`` the error's ``data`` object (``{}`` when it had none).
    """

    def __init__(self, code: int, message: str, data: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(code, message, data or {})
        self.code = code
        self.message = message
        self.data: Dict[str, Any] = dict(data or {})

    @property
    def reason(self) -> Optional[str]:
        """``data.reason`` when the node gave one (for example ``"too_large"``)."""
        reason = self.data.get("reason")
        return reason if isinstance(reason, str) else None

    def __str__(self) -> str:
        return f"{self.message} (JSON-RPC error {self.code})"


class TaskFailed(GridError):
    """A task ended without output (``-32001``).

    ``reason`` is the failure reason (``skill_failed``, ``invalid_input``, ``timed_out``,
    ``no_provider``, ``all_candidates_failed``, ``queue_full``, ``too_large``, ``internal``,
    ``no_quorum`` or ``cancelled``), ``message`` what went wrong, and ``task_id`` the task.
    """

    def __init__(self, reason: str, message: str, task_id: Optional[str],
                 data: Optional[Dict[str, Any]] = None) -> None:
        merged = dict(data or {})
        merged.setdefault("reason", reason)
        if task_id is not None:
            merged.setdefault("taskId", task_id)
        super().__init__(TASK_FAILED, message, merged)
        self.args = (reason, message, task_id)
        # `reason` is a property on GridError; keep the given one even if data disagrees.
        self._reason = reason
        self.task_id = task_id

    @property
    def reason(self) -> str:
        """Why the task failed."""
        return self._reason

    @classmethod
    def from_error(cls, error: GridError) -> "TaskFailed":
        """The :class:`TaskFailed` for a ``-32001`` :class:`GridError`."""
        task_id = error.data.get("taskId")
        return cls(error.reason or "internal", error.message,
                   task_id if isinstance(task_id, str) else None, error.data)

    def __str__(self) -> str:
        where = f" (task {self.task_id})" if self.task_id else ""
        return f"{self.reason}: {self.message}{where}"


class NodeUnreachable(GridClientError, ConnectionError):
    """No node answers at the socket, or the connection to it was lost."""

    def __init__(self, message: str, socket_path: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        self.socket_path = socket_path

    def __str__(self) -> str:
        return self.message


class CallTimeout(GridClientError, TimeoutError):
    """The node did not answer within the time the caller allowed.

    ``task_id`` is the task concerned when it is known (a ``submit`` with ``wait`` learns it from
    the node's ``task.submitted`` notification): the task may still be running, find it with
    :meth:`gridclient.Client.get`.
    """

    def __init__(self, message: str, task_id: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        self.task_id = task_id

    def __str__(self) -> str:
        return self.message


class SkillError(Exception):
    """Raise it in a skill handler to answer the task with an error.

    ``reason`` is one of ``"skill_failed"`` (the default: the work itself failed),
    ``"invalid_input"`` (the input is unusable), ``"internal"`` (this provider cannot do it now:
    the node tries another one) or ``"cancelled"``. The message reaches the requester.
    """

    def __init__(self, message: str, reason: str = "skill_failed") -> None:
        if reason not in SKILL_ERROR_REASONS:
            raise ValueError(f"reason must be one of {', '.join(SKILL_ERROR_REASONS)}, not {reason!r}")
        super().__init__(message)
        self.message = message
        self.reason = reason

    def __str__(self) -> str:
        return self.message
