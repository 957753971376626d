"""Serving skills: the node hands tasks to this connection (``task.run``), handlers answer them."""

from __future__ import annotations

import base64
import binascii
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple, Union

from .errors import SkillError, TASK_FAILED, METHOD_NOT_FOUND

if TYPE_CHECKING:  # pragma: no cover
    from ._connection import Connection

logger = logging.getLogger("gridclient")

#: The longest message the node passes on to the requester.
MAX_ERROR_MESSAGE = 1000
#: The longest progress message the node keeps, in bytes of UTF-8.
MAX_PROGRESS_MESSAGE = 200

Output = Union[str, bytes, bytearray, memoryview, None]
Handler = Callable[["SkillTask"], Output]


class SkillTask:
    """One task the node handed to a skill handler.

    Attributes:
        task_id: the task ID (32 hex digits). Unique per requester.
        skill: the skill name.
        input: the input bytes.
        requester: the node ID of the node the task came from (this node's own for a local
            submission).
        deadline: when the node gives up on the answer, in seconds since the epoch (``time.time()``).
        timeout: the seconds that were left until the deadline when the node sent the task.
        priority: 0-255.
        cancelled: set when the node cancels the task (its requester cancelled it, its deadline
            passed, or the skill was withdrawn); a long handler should check it and stop. The
            answer of a cancelled task is not sent.
        cancel_reason: ``"cancelled"``, ``"deadline"`` or ``"withdrawn"`` once cancelled.
    """

    def __init__(self, server: "SkillServer", request_id: Any, params: Dict[str, Any], data: bytes) -> None:
        self._server = server
        self.request_id = request_id
        self.task_id: str = str(params.get("taskId", ""))
        self.skill: str = str(params.get("skill", ""))
        self.input: bytes = data
        self.requester: str = str(params.get("requester", ""))
        deadline_ms = params.get("deadlineMs")
        timeout_ms = params.get("timeoutMs")
        self.deadline_ms: Optional[int] = int(deadline_ms) if isinstance(deadline_ms, (int, float)) else None
        self.deadline: Optional[float] = self.deadline_ms / 1000.0 if self.deadline_ms is not None else None
        self.timeout: Optional[float] = timeout_ms / 1000.0 if isinstance(timeout_ms, (int, float)) else None
        priority = params.get("priority")
        self.priority: int = int(priority) if isinstance(priority, (int, float)) else 96
        self.cancelled = threading.Event()
        self.cancel_reason: Optional[str] = None

    @property
    def text(self) -> str:
        """The input as UTF-8 text; raises ``SkillError(reason="invalid_input")`` when it is not."""
        try:
            return self.input.decode("utf-8")
        except UnicodeDecodeError:
            raise SkillError("the input is not valid UTF-8 text", reason="invalid_input") from None

    @property
    def remaining(self) -> Optional[float]:
        """Seconds left until the deadline (negative once it has passed), or None when unknown."""
        return None if self.deadline is None else self.deadline - time.time()

    def progress(self, fraction: Optional[float] = None, message: Optional[str] = None) -> None:
        """Reports progress to the requester: ``fraction`` done (0-1) and/or a ``message``.

        The node passes the latest report on at most every 250 ms. Reports after the task ended
        are dropped by the node; a report on a lost connection is dropped here.
        """
        if fraction is None and message is None:
            raise ValueError("progress needs a fraction, a message or both")
        params: Dict[str, Any] = {"taskId": self.task_id}
        if self.requester:  # two requesters may use the same task ID
            params["requester"] = self.requester
        if fraction is not None:
            fraction = float(fraction)
            if not 0.0 <= fraction <= 1.0:
                raise ValueError(f"fraction must be between 0 and 1, not {fraction}")
            params["fraction"] = fraction
        if message is not None:
            # At most 200 bytes of UTF-8, cut at a character boundary (as the node would).
            params["message"] = str(message).encode("utf-8", "replace")[:MAX_PROGRESS_MESSAGE].decode("utf-8", "ignore")
        self._server.send_progress(params)

    def __repr__(self) -> str:
        return (f"SkillTask(task_id={self.task_id!r}, skill={self.skill!r}, input={len(self.input)} bytes, "
                f"requester={self.requester[:8]!r})")


@dataclass
class SkillSpec:
    """A skill registered on a client: its handler and how it is announced."""

    name: str
    handler: Handler
    capacity: int = 1
    description: Optional[str] = None
    deterministic: bool = False
    pool: Optional[ThreadPoolExecutor] = None

    def as_param(self) -> Dict[str, Any]:
        param: Dict[str, Any] = {"name": self.name, "capacity": self.capacity}
        if self.description is not None:
            param["description"] = self.description
        if self.deterministic:
            param["deterministic"] = True
        return param


def encode_answer(output: Output) -> Dict[str, Any]:
    """The ``task.run`` result for a handler's return value."""
    if output is None:
        return {"output": ""}
    if isinstance(output, str):
        return {"output": output}
    if isinstance(output, (bytes, bytearray, memoryview)):
        return {"outputBase64": base64.b64encode(bytes(output)).decode("ascii")}
    raise TypeError(f"a skill handler must return str, bytes or None, not {type(output).__name__}")


def error_answer(message: str, reason: str) -> Dict[str, Any]:
    """The ``task.run`` error for a failure with ``reason``."""
    return {"code": TASK_FAILED, "message": message[:MAX_ERROR_MESSAGE] or reason, "data": {"reason": reason}}


class SkillServer:
    """The serving state of one client connection: skills, thread pools and running tasks."""

    def __init__(self) -> None:
        self._connection: Optional["Connection"] = None
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self.skills: Dict[str, SkillSpec] = {}
        self._running: Dict[Any, SkillTask] = {}
        self._by_task: Dict[Tuple[str, str], Any] = {}
        self._closed = False

    def attach(self, connection: "Connection") -> None:
        self._connection = connection

    def add(self, spec: SkillSpec) -> None:
        """Registers (or replaces) a skill and its handler."""
        with self._lock:
            old = self.skills.get(spec.name)
            if old is not None and old.pool is not None and old.capacity == spec.capacity:
                spec.pool = old.pool
            else:
                spec.pool = ThreadPoolExecutor(max_workers=spec.capacity,
                                               thread_name_prefix=f"gridclient-{spec.name}")
                if old is not None and old.pool is not None:
                    old.pool.shutdown(wait=False)
            self.skills[spec.name] = spec

    @property
    def running(self) -> int:
        """Tasks being run by handlers now."""
        with self._lock:
            return len(self._running)

    def wait_idle(self, timeout: Optional[float]) -> bool:
        """Waits until no handler runs; False when ``timeout`` passed first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._idle:
            while self._running:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._idle.wait(timeout=1.0 if remaining is None else min(remaining, 1.0))
            return True

    # From the node

    def on_request(self, message: Dict[str, Any]) -> None:
        """A request from the node (the reader thread): ``task.run``, or an unknown method."""
        assert self._connection is not None
        request_id = message.get("id")
        method = message.get("method")
        if method != "task.run":
            self._connection.respond(request_id, error={
                "code": METHOD_NOT_FOUND, "message": f"this client has no method '{str(method)[:64]}'; it answers task.run"})
            return
        raw_params = message.get("params")
        params: Dict[str, Any] = raw_params if isinstance(raw_params, dict) else {}
        skill = params.get("skill")
        spec = self.skills.get(skill) if isinstance(skill, str) else None
        if spec is None or spec.pool is None:
            self._answer_error(request_id, f"this connection does not serve skill {skill!r}", "internal")
            return
        try:
            if isinstance(params.get("inputBase64"), str):
                data = base64.b64decode(params["inputBase64"], validate=True)
            else:
                data = str(params.get("input", "")).encode("utf-8")
        except (binascii.Error, ValueError):
            self._answer_error(request_id, "the node sent input that is not valid base64", "internal")
            return
        task = SkillTask(self, request_id, params, data)
        with self._lock:
            if self._closed:
                return
            self._running[request_id] = task
            self._by_task[(task.requester, task.task_id)] = request_id
        try:
            spec.pool.submit(self._run, spec, task)
        except RuntimeError:  # the pool was shut down: the client is closing
            self._done(task)
            self._answer_error(request_id, "the application is stopping", "internal")

    def on_cancel(self, params: Dict[str, Any]) -> None:
        """A ``task.cancel`` notification from the node."""
        key = (str(params.get("requester", "")), str(params.get("taskId", "")))
        with self._lock:
            request_id = self._by_task.get(key)
            if request_id is None:  # an older node may leave out the requester
                matches = [rid for (req, tid), rid in self._by_task.items() if tid == key[1]]
                request_id = matches[0] if len(matches) == 1 else None
            task = self._running.get(request_id) if request_id is not None else None
        if task is None:
            logger.debug("task.cancel for task %s, which no handler runs", key[1])
            return
        reason = params.get("reason")
        task.cancel_reason = reason if isinstance(reason, str) else "cancelled"
        logger.info("task %s of %s cancelled (%s)", task.task_id, task.skill, task.cancel_reason)
        task.cancelled.set()

    # Running

    def _run(self, spec: SkillSpec, task: SkillTask) -> None:
        try:
            if task.cancelled.is_set():
                return
            try:
                answer: Dict[str, Any] = {"result": encode_answer(spec.handler(task))}
            except SkillError as error:
                logger.info("skill %s failed task %s (%s): %s", spec.name, task.task_id, error.reason, error.message)
                answer = {"error": error_answer(error.message, error.reason)}
            except Exception as error:
                logger.warning("skill %s failed task %s", spec.name, task.task_id, exc_info=True)
                answer = {"error": error_answer(str(error) or type(error).__name__, "skill_failed")}
            if task.cancelled.is_set():
                logger.debug("task %s was cancelled (%s): its answer is not sent", task.task_id, task.cancel_reason)
                return
            if "result" in answer:
                self._answer(task.request_id, answer["result"])
            else:
                self._answer_error_obj(task.request_id, answer["error"])
        finally:
            self._done(task)

    def _answer(self, request_id: Any, result: Dict[str, Any]) -> None:
        from ._connection import MAX_LINE_BYTES, encode_line
        assert self._connection is not None
        try:
            size = len(encode_line({"jsonrpc": "2.0", "id": request_id, "result": result})) - 1
        except ValueError as error:
            self._answer_error(request_id, f"the output cannot be sent: {error}", "skill_failed")
            return
        if size > MAX_LINE_BYTES:
            self._answer_error(request_id, f"the output does not fit in a local API line of {MAX_LINE_BYTES} bytes",
                               "internal")
            return
        self._connection.respond(request_id, result=result)

    def _answer_error(self, request_id: Any, message: str, reason: str) -> None:
        self._answer_error_obj(request_id, error_answer(message, reason))

    def _answer_error_obj(self, request_id: Any, error: Dict[str, Any]) -> None:
        assert self._connection is not None
        self._connection.respond(request_id, error=error)

    def _done(self, task: SkillTask) -> None:
        with self._idle:
            self._running.pop(task.request_id, None)
            key = (task.requester, task.task_id)
            if self._by_task.get(key) == task.request_id:
                del self._by_task[key]
            self._idle.notify_all()

    def send_progress(self, params: Dict[str, Any]) -> None:
        from .errors import NodeUnreachable
        if self._connection is None:
            return
        try:
            self._connection.notify("task.progress", params)
        except NodeUnreachable:
            logger.debug("progress for task %s dropped: the connection is gone", params.get("taskId"))

    def connection_lost(self) -> None:
        """The connection is gone: every running task is cancelled (the node gave them elsewhere)."""
        with self._lock:
            tasks = list(self._running.values())
        for task in tasks:
            task.cancel_reason = task.cancel_reason or "connection_lost"
            task.cancelled.set()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pools = [spec.pool for spec in self.skills.values() if spec.pool is not None]
        self.connection_lost()
        for pool in pools:
            pool.shutdown(wait=False, cancel_futures=True)
        with self._idle:
            self._running.clear()
            self._by_task.clear()
            self._idle.notify_all()

    def served_names(self) -> List[str]:
        return sorted(self.skills)
