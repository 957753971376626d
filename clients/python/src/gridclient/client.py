"""The :class:`Client`: one connection to the node's local API."""

from __future__ import annotations

import base64
import logging
import math
import os
import threading
import time
from typing import (Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple,
                    Union, overload)

from ._connection import Call, Connection
from .errors import (GridError, NodeUnreachable, TaskFailed, TASK_FAILED)
from .models import Event, NodeInfo, Peer, ServedSkill, Task, WaitResult
from .serving import Handler, SkillServer, SkillSpec

logger = logging.getLogger("gridclient")

#: The socket's file name inside the data directory.
SOCKET_FILE_NAME = "gridnode.sock"

#: Priority names and the level each stands for (the middle of its class, as the CLI uses).
PRIORITIES = {"low": 32, "normal": 96, "high": 160, "critical": 224}

#: How much longer than a task's own timeout a waiting call waits for the node's answer.
WAIT_GRACE_SECONDS = 30.0

Input = Union[str, bytes, bytearray, memoryview, None]
EventCallback = Callable[[Event], None]


def resolve_data_dir(data_dir: Union[str, "os.PathLike[str]", None] = None) -> str:
    """The data directory as ``gridnode`` resolves it: ``data_dir``, else ``$GRIDNODE_HOME``,
    else ``~/.gridnode``."""
    if data_dir is not None and os.fspath(data_dir) != "":
        path = os.fspath(data_dir)
    elif os.environ.get("GRIDNODE_HOME"):
        path = os.environ["GRIDNODE_HOME"]
    else:
        path = os.path.join(os.environ.get("HOME") or os.path.expanduser("~"), ".gridnode")
    return path[:-1] if len(path) > 1 and path.endswith("/") else path


def resolve_socket_path(data_dir: Union[str, "os.PathLike[str]", None] = None,
                        socket_path: Union[str, "os.PathLike[str]", None] = None) -> str:
    """The node's socket: ``socket_path`` when given, else ``gridnode.sock`` in the data directory."""
    if socket_path is not None:
        return os.fspath(socket_path)
    return os.path.join(resolve_data_dir(data_dir), SOCKET_FILE_NAME)


def priority_level(priority: Union[int, str]) -> int:
    """A priority as the node takes it: 0-255, or ``low``/``normal``/``high``/``critical``."""
    if isinstance(priority, bool):
        raise TypeError("priority must be an int 0-255 or one of low, normal, high, critical")
    if isinstance(priority, str):
        try:
            return PRIORITIES[priority.lower()]
        except KeyError:
            raise ValueError(f"priority must be 0-255 or one of {', '.join(PRIORITIES)}, not {priority!r}") from None
    if isinstance(priority, int):
        if not 0 <= priority <= 255:
            raise ValueError(f"priority must be between 0 and 255, not {priority}")
        return priority
    raise TypeError(f"priority must be an int 0-255 or one of {', '.join(PRIORITIES)}, not {type(priority).__name__}")


def _milliseconds(seconds: float, what: str) -> int:
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"{what} is in seconds (a number), not {type(seconds).__name__}")
    if seconds <= 0:
        raise ValueError(f"{what} must be more than 0 seconds, not {seconds}")
    return max(1, int(math.ceil(seconds * 1000)))


def _put_input(params: Dict[str, Any], data: Input) -> None:
    if data is None:
        return
    if isinstance(data, str):
        if data:
            params["input"] = data
    elif isinstance(data, (bytes, bytearray, memoryview)):
        if len(data):
            params["inputBase64"] = base64.b64encode(bytes(data)).decode("ascii")
    else:
        raise TypeError(f"input must be str or bytes, not {type(data).__name__}")


def _task_id(task: Union[str, Task]) -> str:
    if isinstance(task, Task):
        return task.task_id
    if isinstance(task, str):
        return task
    raise TypeError(f"a task is given by its ID (str) or a Task, not {type(task).__name__}")


class TaskWatch(Iterator[Event]):
    """The events of one task, as :meth:`Client.watch` returns them.

    Iterate over it to get each :class:`~gridclient.Event` as it happens: the events so far, then
    each new one, ending with the ``succeeded`` or ``failed`` event (made up from the task's view
    when the task had already ended). Then ``task`` holds the ended :class:`~gridclient.Task`.
    """

    def __init__(self, client: "Client", task_id: str, timeout: Optional[float]) -> None:
        self._client = client
        self.task_id = task_id
        self.task: Optional[Task] = None
        self._deadline = None if timeout is None else time.monotonic() + timeout
        self._call: Optional[Call] = client._connection.start("task.watch", {"taskId": task_id},
                                                              watch_task=task_id)
        self._saw_final = False
        self._ended = False

    def __iter__(self) -> "TaskWatch":
        return self

    def __enter__(self) -> "TaskWatch":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __next__(self) -> Event:
        if self._ended:
            raise StopIteration
        if self.task is not None:  # the response came; end with a final event if none came
            self._ended = True
            if not self._saw_final:
                return Event.final_for(self.task)
            raise StopIteration
        assert self._call is not None
        try:
            while True:
                kind, value = self._call.next_item(self._deadline)
                if kind == "event":
                    event = Event.from_json(value[0], value[1])
                    self._saw_final = self._saw_final or event.final
                    return event
                if kind == "closed":
                    raise value
                if kind == "response":
                    self._call.finish()
                    self.task = self._task_from(value)
                    return self.__next__()
        except BaseException:
            if self.task is None:
                self.close()
            raise

    def _task_from(self, response: Dict[str, Any]) -> Task:
        from ._connection import result_of
        try:
            return Task.from_view(result_of(response))
        except GridError as error:
            if error.code != TASK_FAILED:
                raise
            given = error.data.get("taskId")
            task_id = given if isinstance(given, str) else self.task_id
            try:
                return self._client.get(task_id)
            except GridError:
                return Task(task_id=task_id, skill="", status="failed", error_code=error.reason or "internal",
                            error_message=error.message)

    def wait(self, on_event: Optional[EventCallback] = None) -> Task:
        """Consumes the remaining events (passing each to ``on_event``) and returns the ended task."""
        for event in self:
            if on_event is not None:
                on_event(event)
        if self.task is None:
            raise RuntimeError("this watch was closed before the task ended")
        return self.task

    def close(self) -> None:
        """Stops listening (the task goes on)."""
        self._ended = True
        if self._call is not None:
            self._call.finish()


class Client:
    """A connection to the node's local API (a Unix socket in its data directory).

    The socket is ``socket_path`` when given, else ``gridnode.sock`` in ``data_dir``, else in
    ``$GRIDNODE_HOME``, else in ``~/.gridnode`` (as ``gridnode --data-dir`` resolves it). The
    client connects at once and raises :class:`~gridclient.NodeUnreachable` when no node answers.

    One connection serves every thread: a background thread reads the node's lines, routes
    responses to the calls that wait for them and dispatches notifications, so calls may be made
    from several threads at once, and a connection that serves skills may also submit tasks.
    Use it as a context manager, or call :meth:`close`.
    """

    def __init__(self, data_dir: Union[str, "os.PathLike[str]", None] = None, *,
                 socket_path: Union[str, "os.PathLike[str]", None] = None,
                 connect_timeout: Optional[float] = 5.0) -> None:
        self.socket_path = resolve_socket_path(data_dir, socket_path)
        self._server = SkillServer()
        self._serving = False
        self._serve_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._connection = Connection(self.socket_path, connect_timeout=connect_timeout,
                                      on_request=self._server.on_request,
                                      on_notification=self._on_notification,
                                      on_close=self._on_close)
        self._server.attach(self._connection)

    # Lifecycle

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<gridclient.Client {self.socket_path} {state}>"

    @property
    def closed(self) -> bool:
        """The connection is gone (closed by this client, or by the node)."""
        return self._connection.closed.is_set()

    def close(self) -> None:
        """Closes the connection. Skills it served are withdrawn by the node at once; calls still
        waiting raise :class:`~gridclient.NodeUnreachable`."""
        self._stop.set()
        self._wake.set()
        self._server.close()
        self._connection.close()

    # Raw calls

    def call(self, method: str, params: Optional[Dict[str, Any]] = None, *,
             timeout: Optional[float] = None) -> Any:
        """Calls any local API method and returns its ``result``.

        Raises :class:`~gridclient.GridError` for an error answer,
        :class:`~gridclient.NodeUnreachable` when the connection is gone and
        :class:`~gridclient.CallTimeout` when ``timeout`` seconds pass without an answer.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        return self._connection.start(method, params).result(deadline)

    def notify(self, method: str, params: Optional[Dict[str, Any]] = None) -> None:
        """Sends a notification: the node carries it out and does not answer."""
        self._connection.notify(method, params)

    # Tasks

    def submit(self, skill: str, input: Input = b"", *, wait: bool = False,
               timeout: Optional[float] = None, priority: Union[int, str, None] = None,
               replicas: Optional[int] = None, min_trust: Optional[float] = None,
               cacheable: Optional[bool] = None, retry_errors: Optional[bool] = None,
               idempotency_key: Optional[str] = None, verify: Optional[str] = None,
               on_event: Optional[EventCallback] = None) -> Task:
        """Submits a task of ``skill`` and returns it as a :class:`~gridclient.Task`.

        Args:
            skill: the skill name.
            input: ``str`` (sent as UTF-8 text) or ``bytes`` (sent as base64).
            wait: return when the task has ended; a failure raises
                :class:`~gridclient.TaskFailed`. Without it the task is returned as soon as the node
                recorded it (usually ``running``; follow it with :meth:`get`, :meth:`wait` or
                :meth:`watch`).
            timeout: how long the task may take, in seconds (default: the node's, 30 s).
            priority: 0-255, or ``"low"``, ``"normal"``, ``"high"``, ``"critical"`` (32, 96,
                160, 224).
            replicas: run on this many distinct nodes and take the majority's output (1-7).
            min_trust: the least trust (0-1) an executor must have.
            cacheable: reuse an identical task's recent result.
            retry_errors: retry on another node even when the skill reports an error.
            idempotency_key: 1-128 characters; the same key with the same request gives the same
                task instead of a new one (safe to resend after a lost connection).
            verify: ``"sample"`` (the node's default: a share of results is re-run on another
                node after delivery, and a provider caught lying is convicted), ``"strict"`` (no
                result before a second, independent run agrees with it) or ``"off"``.
            on_event: with ``wait``, called in this thread with each :class:`~gridclient.Event`
                of the task before ``submit`` returns (progress among them). An exception it raises
                propagates out of ``submit``; the task goes on.
        """
        if not isinstance(skill, str) or not skill:
            raise ValueError("skill must be a non-empty string")
        params: Dict[str, Any] = {"skill": skill}
        _put_input(params, input)
        if wait:
            params["wait"] = True
        if timeout is not None:
            params["timeoutMs"] = _milliseconds(timeout, "timeout")
        if priority is not None:
            params["priority"] = priority_level(priority)
        if replicas is not None:
            params["replicas"] = int(replicas)
        if min_trust is not None:
            params["minTrust"] = float(min_trust)
        if cacheable is not None:
            params["cacheable"] = bool(cacheable)
        if retry_errors is not None:
            params["retryApplicationErrors"] = bool(retry_errors)
        if idempotency_key is not None:
            if not isinstance(idempotency_key, str) or not 1 <= len(idempotency_key) <= 128:
                raise ValueError("idempotency_key must be a string of 1 to 128 characters")
            params["idempotencyKey"] = idempotency_key
        if verify is not None:
            if verify not in ("sample", "strict", "off"):
                raise ValueError("verify must be 'sample', 'strict' or 'off'")
            params["verify"] = verify
        if on_event is not None:
            if not wait:
                raise ValueError("on_event needs wait=True; for a task submitted without waiting use watch()")
            params["events"] = True
        deadline = None
        if wait and timeout is not None:
            deadline = time.monotonic() + timeout + WAIT_GRACE_SECONDS
        call = self._connection.start("task.submit", params, track_submitted=on_event is not None)

        def deliver(task_id: str, event: Dict[str, Any]) -> None:
            if on_event is not None:
                on_event(Event.from_json(task_id, event))

        try:
            return Task.from_view(call.result(deadline, deliver))
        except GridError as error:
            if error.code == TASK_FAILED:
                raise TaskFailed.from_error(error) from None
            raise

    def get(self, task_id: Union[str, Task]) -> Task:
        """The task as it is now (``task.get``). Task IDs are per node."""
        return Task.from_view(self.call("task.get", {"taskId": _task_id(task_id)}))

    def cancel(self, task_id: Union[str, Task]) -> Task:
        """Cancels a task still in flight; returns its view afterwards (``failed`` with
        ``cancelled``, or its final view if it had already ended)."""
        return Task.from_view(self.call("task.cancel", {"taskId": _task_id(task_id)}))

    @overload
    def wait(self, task_ids: Union[str, Task], *, any: bool = False,
             timeout: Optional[float] = None) -> Task: ...

    @overload
    def wait(self, task_ids: Union[List[Union[str, Task]], Tuple[Union[str, Task], ...]], *, any: bool = False,
             timeout: Optional[float] = None) -> WaitResult: ...

    def wait(self, task_ids: Union[str, Task, Iterable[Union[str, Task]]], *, any: bool = False,
             timeout: Optional[float] = None) -> Union[Task, WaitResult]:
        """Waits for tasks to end (``task.wait``).

        For one task ID, returns the :class:`~gridclient.Task` once it has ended (or as it is
        when ``timeout`` seconds passed first); it does not raise for a failed task (see
        :meth:`Task.raise_for_status`). For a list, returns a :class:`~gridclient.WaitResult`
        with the ended tasks (``done``) and the IDs still running (``pending``): when all have
        ended, or with ``any=True`` when one has, or when ``timeout`` passed.
        """
        single = isinstance(task_ids, (str, Task))
        if isinstance(task_ids, (str, Task)):
            ids = [_task_id(task_ids)]
        else:
            ids = [_task_id(t) for t in task_ids]
        if not ids:
            raise ValueError("wait needs at least one task ID")
        params: Dict[str, Any] = {"taskIds": ids, "mode": "any" if any else "all"}
        deadline = None
        if timeout is not None:
            params["timeoutMs"] = _milliseconds(timeout, "timeout")
            deadline = time.monotonic() + timeout + WAIT_GRACE_SECONDS
        result = self._connection.start("task.wait", params).result(deadline)
        done = [Task.from_view(view) for view in (result or {}).get("done") or []]
        pending = [str(p) for p in (result or {}).get("pending") or []]
        if single:
            return done[0] if done else self.get(ids[0])
        return WaitResult(done=done, pending=pending)

    @overload
    def watch(self, task_id: Union[str, Task], on_event: None = None, *,
              timeout: Optional[float] = None) -> TaskWatch: ...

    @overload
    def watch(self, task_id: Union[str, Task], on_event: EventCallback, *,
              timeout: Optional[float] = None) -> Task: ...

    def watch(self, task_id: Union[str, Task], on_event: Optional[EventCallback] = None, *,
              timeout: Optional[float] = None) -> Union[TaskWatch, Task]:
        """Follows a task's events (``task.watch``).

        Without ``on_event``, returns a :class:`TaskWatch`: iterate over it for each
        :class:`~gridclient.Event`, the last one ``succeeded`` or ``failed``; then its ``task``
        is the ended task. With ``on_event``, calls it for each event and returns the ended
        :class:`~gridclient.Task` (failed or not). ``timeout`` bounds the whole watch, in seconds
        (:class:`~gridclient.CallTimeout` after it).
        """
        watch = TaskWatch(self, _task_id(task_id), timeout)
        if on_event is None:
            return watch
        return watch.wait(on_event)

    def list(self, status: Optional[str] = None, skill: Optional[str] = None, limit: int = 100,
             before_ms: Optional[int] = None) -> List[Task]:
        """Tasks submitted to this node, newest first (``task.list``); ``status`` is
        ``running``, ``succeeded`` or ``failed``. Page with ``before_ms`` = the last task's
        ``submitted_at_ms``."""
        params: Dict[str, Any] = {"limit": int(limit)}
        if status is not None:
            params["status"] = status
        if skill is not None:
            params["skill"] = skill
        if before_ms is not None:
            params["beforeMs"] = int(before_ms)
        return [Task.from_view(view) for view in self.call("task.list", params) or []]

    # The node and its peers

    def info(self) -> NodeInfo:
        """This node (``node.info``)."""
        return NodeInfo.from_json(self.call("node.info"))

    def peers(self) -> List[Peer]:
        """The node's peers: connected, being dialled, and recently dead (``peers.list``)."""
        return [Peer.from_json(p) for p in self.call("peers.list") or []]

    def metrics(self) -> Dict[str, Any]:
        """The node's task metrics (``node.metrics``), as the JSON object docs/METRICS.md describes."""
        metrics: Dict[str, Any] = self.call("node.metrics")
        return metrics

    def add_peer(self, address: str, node_id: Optional[str] = None) -> str:
        """Dials ``host:port`` and keeps dialling it (``peers.add``); returns what the node does."""
        params: Dict[str, Any] = {"address": address}
        if node_id is not None:
            params["nodeId"] = node_id
        return str(self.call("peers.add", params).get("done", ""))

    def route(self, skill: str, min_trust: Optional[float] = None) -> List[Dict[str, Any]]:
        """How the node would route a task of ``skill`` now (``route.explain``)."""
        params: Dict[str, Any] = {"skill": skill}
        if min_trust is not None:
            params["minTrust"] = float(min_trust)
        return list(self.call("route.explain", params) or [])

    # Serving

    def add_skill(self, name: str, handler: Handler, *, capacity: int = 1,
                  description: Optional[str] = None, deterministic: bool = False) -> None:
        """Registers ``handler`` for skill ``name``; it is served from :meth:`run` or
        :meth:`start_serving` on (at once when this client serves already)."""
        if not callable(handler):
            raise TypeError("a skill handler must be callable")
        if isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= 1024:
            raise ValueError(f"capacity must be an int between 1 and 1024, not {capacity!r}")
        if description is not None and len(description) > 200:
            raise ValueError("description must be at most 200 characters")
        spec = SkillSpec(name=name, handler=handler, capacity=capacity, description=description,
                         deterministic=bool(deterministic))
        with self._serve_lock:
            self._server.add(spec)
            if self._serving:
                self._serve_specs([spec])

    def skill(self, name: str, *, capacity: int = 1, description: Optional[str] = None,
              deterministic: bool = False) -> Callable[[Handler], Handler]:
        """A decorator that registers a function as the handler of skill ``name``::

            grid = gridclient.Client()

            @grid.skill("text.upper", capacity=4)
            def upper(task):
                task.progress(0.5, "half way")
                return task.text.upper()

            grid.run()

        The handler gets a :class:`~gridclient.SkillTask` and returns ``str`` or ``bytes`` (or
        ``None`` for an empty output). Raising :class:`~gridclient.SkillError` answers with its
        reason; any other exception answers ``skill_failed`` with the exception's message.
        Handlers run in a thread pool of ``capacity`` threads.
        """
        def register(handler: Handler) -> Handler:
            self.add_skill(name, handler, capacity=capacity, description=description,
                           deterministic=deterministic)
            return handler
        return register

    def start_serving(self) -> List[ServedSkill]:
        """Starts serving the registered skills (``skill.serve``) and returns at once; handlers
        run in the background until :meth:`unserve` or :meth:`close`."""
        with self._serve_lock:
            specs = list(self._server.skills.values())
            if not specs:
                raise ValueError("no skill to serve: register one with add_skill() or @client.skill(...)")
            served = self._serve_specs(specs)
            self._serving = True
            return served

    def _serve_specs(self, specs: Iterable[SkillSpec]) -> List[ServedSkill]:
        result = self.call("skill.serve", {"skills": [spec.as_param() for spec in specs]})
        served = [ServedSkill.from_json(s) for s in (result or {}).get("served") or []]
        logger.info("serving %s on %s", ", ".join(f"{s.name} (capacity {s.capacity})" for s in served),
                    self.socket_path)
        return served

    def unserve(self, skills: Optional[Sequence[str]] = None, *, drain: bool = False) -> List[ServedSkill]:
        """Stops serving ``skills`` (default: all) on this connection (``skill.unserve``). With
        ``drain``, the tasks running now are left to finish; without it they are handed back."""
        params: Dict[str, Any] = {"drain": bool(drain)}
        if skills is not None:
            params["skills"] = list(skills)
        with self._serve_lock:
            result = self.call("skill.unserve", params)
            served = [ServedSkill.from_json(s) for s in (result or {}).get("served") or []]
            self._serving = bool(served)
            return served

    def serve(self, skill: str, handler: Handler, capacity: int = 1, description: Optional[str] = None,
              deterministic: bool = False, *, drain_timeout: Optional[float] = 30.0) -> None:
        """Serves ``skill`` with ``handler`` until Ctrl-C or :meth:`stop` (see :meth:`skill`)."""
        self.add_skill(skill, handler, capacity=capacity, description=description, deterministic=deterministic)
        self.run(drain_timeout=drain_timeout)

    def run(self, *, drain_timeout: Optional[float] = 30.0) -> None:
        """Serves the registered skills until Ctrl-C or :meth:`stop`, then stops serving: the
        tasks that run are left to finish (for at most ``drain_timeout`` seconds).

        Raises :class:`~gridclient.NodeUnreachable` if the node goes away meanwhile.
        """
        self._stop.clear()
        self._wake.clear()
        self.start_serving()
        interrupted = False
        try:
            while not self._wake.wait(timeout=1.0):
                pass
        except KeyboardInterrupt:
            interrupted = True
            logger.info("interrupted: stopping")
        if self.closed and not self._stop.is_set():
            raise self._connection._closed_error or NodeUnreachable("the node closed the connection")
        if not self.closed:
            try:
                self.unserve(drain=True)
            except (GridError, NodeUnreachable) as error:
                logger.warning("could not stop serving cleanly: %s", error)
            if not self._server.wait_idle(drain_timeout):
                logger.warning("handlers still running after %s s; leaving them", drain_timeout)
        if interrupted:
            logger.info("stopped serving")

    def stop(self) -> None:
        """Makes :meth:`run` (or :meth:`serve`) stop serving and return. Safe from any thread."""
        self._stop.set()
        self._wake.set()

    # From the node

    def _on_notification(self, method: str, params: Dict[str, Any]) -> None:
        if method == "task.cancel":
            self._server.on_cancel(params)
        elif method == "node.error":
            about = f" (about {params['id']})" if params.get("id") is not None else ""
            logger.warning("the node reports%s: %s", about, params.get("message"))
        else:
            logger.debug("ignored notification %s from the node", method)

    def _on_close(self, error: NodeUnreachable) -> None:
        self._server.connection_lost()
        if self._serving:
            logger.warning("%s; skills are no longer served", error)
        self._wake.set()
