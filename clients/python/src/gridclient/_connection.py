"""One connection to the node's socket: line framing, a reader thread, and routing by ID.

Every line the node sends is one of (Protocol/local-api.md and the serving spec):

- a **response** to one of our requests (no ``method``; ``result`` or ``error``): handed to the
  call with that ID, whichever thread made it;
- a **notification** from the node (``method``, no ``id``): ``task.submitted`` and ``task.event``
  are routed to the calls that asked for them; the others go to ``on_notification``;
- a **request** from the node (``method`` and ``id``, ``task.run``): handed to ``on_request``,
  which must answer it with :meth:`Connection.respond` (from any thread).

The reader thread never runs user code that could block: calls wait in their own threads, on a
queue the reader fills, so a callback may itself call the node.
"""

from __future__ import annotations

import itertools
import json
import logging
import queue
import socket
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from .errors import GridError, INVALID_REQUEST, NodeUnreachable, CallTimeout

logger = logging.getLogger("gridclient")

#: The longest line the node accepts, not counting the newline (``LocalAPI.maxLineBytes``).
MAX_LINE_BYTES = 4 * 1024 * 1024
#: The longest line this client reads before it gives up on the connection.
MAX_INCOMING_LINE_BYTES = 64 * 1024 * 1024
#: Requests of this client waiting for their answers at once; more wait for a free slot. The node
#: answers at most 64 requests of a connection at once and reads no further line meanwhile, so
#: staying below that keeps it reading the answers of a serving connection to its ``task.run``.
MAX_IN_FLIGHT = 48

_JSON = Dict[str, Any]
#: An item a call's queue holds: ("response", msg), ("submitted", task_id), ("event", params),
#: or ("closed", NodeUnreachable).
_Item = Tuple[str, Any]


def encode_line(message: _JSON) -> bytes:
    """One JSON line, UTF-8, ending in a newline."""
    try:
        return json.dumps(message, ensure_ascii=False, separators=(",", ":"),
                          allow_nan=False).encode("utf-8") + b"\n"
    except UnicodeEncodeError as error:
        raise ValueError(f"a string in the request is not valid Unicode ({error.reason}); "
                         "pass binary input as bytes") from None


def unreachable_message(path: str, reason: str) -> str:
    """What :class:`NodeUnreachable` says when nothing answers at ``path``."""
    return (f"no node answers at {path} ({reason}); start one with 'gridnode run', or pass the "
            "data directory it runs with (Client(data_dir=...), or $GRIDNODE_HOME)")


class Call:
    """A request sent to the node, waiting for its response."""

    def __init__(self, connection: "Connection", request_id: int, method: str,
                 watch_task: Optional[str], track_submitted: bool) -> None:
        self.connection = connection
        self.id = request_id
        self.method = method
        self.items: "queue.Queue[_Item]" = queue.Queue()
        #: The task IDs whose ``task.event`` notifications this call receives.
        self.watched: Set[str] = {watch_task} if watch_task else set()
        #: Register for the events of the task a ``task.submitted`` names.
        self.track_submitted = track_submitted
        self.task_id: Optional[str] = watch_task
        self.finished = False

    def next_item(self, deadline: Optional[float]) -> _Item:
        """The next item for this call; raises :class:`CallTimeout` after ``deadline``."""
        while True:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise CallTimeout(self._timeout_message(), self.task_id)
            try:
                # A bounded wait keeps Ctrl-C responsive on every platform.
                return self.items.get(timeout=1.0 if remaining is None else min(remaining, 1.0))
            except queue.Empty:
                continue

    def _timeout_message(self) -> str:
        about = f" (task {self.task_id}, which may still be running)" if self.task_id else ""
        return f"the node did not answer {self.method} in time{about}"

    def result(self, deadline: Optional[float] = None,
               on_event: Optional[Callable[[str, _JSON], None]] = None) -> Any:
        """Waits for the response and returns its result (raises :class:`GridError` for an error).

        ``on_event(task_id, event)`` is called, in this thread, for each ``task.event`` routed to
        this call before the response.
        """
        try:
            while True:
                kind, value = self.next_item(deadline)
                if kind == "response":
                    return result_of(value)
                if kind == "closed":
                    raise value
                if kind == "event" and on_event is not None:
                    on_event(value[0], value[1])
        finally:
            self.finish()

    def finish(self) -> None:
        """Forgets the call: later events and a late response are dropped."""
        self.connection._forget(self)


def result_of(response: _JSON) -> Any:
    """The ``result`` of a response, or its ``error`` raised as :class:`GridError`."""
    error = response.get("error")
    if error is not None:
        if not isinstance(error, dict):
            raise GridError(-32603, f"the node answered with a malformed error: {error!r}")
        code = error.get("code")
        data = error.get("data")
        raise GridError(code if isinstance(code, int) else -32603, str(error.get("message", "")),
                        data if isinstance(data, dict) else None)
    return response.get("result")


class Connection:
    """A connected socket with its reader thread."""

    def __init__(self, path: str, *, connect_timeout: Optional[float] = 5.0,
                 on_request: Callable[[_JSON], None],
                 on_notification: Callable[[str, _JSON], None],
                 on_close: Optional[Callable[[NodeUnreachable], None]] = None) -> None:
        self.path = path
        self._on_request = on_request
        self._on_notification = on_notification
        self._on_close = on_close
        self._ids = itertools.count(1)
        self._lock = threading.Lock()          # guards the tables below
        self._write_lock = threading.Lock()    # one line at a time on the socket
        self._calls: Dict[Any, Call] = {}
        self._slots = threading.BoundedSemaphore(MAX_IN_FLIGHT)
        self._watchers: Dict[str, List[Call]] = {}
        self._closing = False
        self._closed_error: Optional[NodeUnreachable] = None
        self._last_unrouted_error: Optional[str] = None
        self.closed = threading.Event()

        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(connect_timeout)
            sock.connect(path)
            sock.settimeout(None)
        except (OSError, ValueError) as error:
            sock.close()
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            raise NodeUnreachable(unreachable_message(path, reason), path) from None
        self._sock = sock
        self._reader = threading.Thread(target=self._read_loop, name="gridclient-reader", daemon=True)
        self._reader.start()

    # Sending

    def send(self, message: _JSON) -> None:
        """Writes one message as a line. Raises :class:`NodeUnreachable` when the connection is gone."""
        line = encode_line(message)
        if len(line) - 1 > MAX_LINE_BYTES:
            raise GridError(INVALID_REQUEST,
                            f"the request is {len(line) - 1} bytes; the local API takes lines of at most "
                            f"{MAX_LINE_BYTES} bytes: send a smaller input")
        with self._write_lock:
            if self._closed_error is not None:
                raise self._closed_error
            try:
                self._sock.sendall(line)
            except OSError as error:
                raise NodeUnreachable(f"the connection to the node at {self.path} is lost ({error})",
                                      self.path) from None

    def start(self, method: str, params: Optional[_JSON] = None, *, watch_task: Optional[str] = None,
              track_submitted: bool = False) -> Call:
        """Sends a request and returns its :class:`Call`, to wait on with :meth:`Call.result`."""
        message: _JSON = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        while not self._slots.acquire(timeout=1.0):
            if self._closed_error is not None:
                raise self._closed_error
        call = Call(self, next(self._ids), method, watch_task, track_submitted)
        message["id"] = call.id
        with self._lock:
            if self._closed_error is not None:
                self._slots.release()
                raise self._closed_error
            self._calls[call.id] = call
            if watch_task:
                self._watchers.setdefault(watch_task, []).append(call)
        try:
            self.send(message)
        except BaseException:
            self._forget(call)
            raise
        return call

    def notify(self, method: str, params: Optional[_JSON] = None) -> None:
        """Sends a notification (no ID: the node does not answer)."""
        message: _JSON = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)

    def respond(self, request_id: Any, *, result: Any = None, error: Optional[_JSON] = None) -> bool:
        """Answers a request from the node. Returns False when the connection is gone."""
        message: _JSON = {"jsonrpc": "2.0", "id": request_id}
        if error is not None:
            message["error"] = error
        else:
            message["result"] = result
        try:
            self.send(message)
            return True
        except NodeUnreachable:
            return False

    def _forget(self, call: Call) -> None:
        with self._lock:
            call.finished = True
            if self._calls.pop(call.id, None) is not None:
                self._slots.release()
            for task_id in call.watched:
                watchers = self._watchers.get(task_id)
                if watchers and call in watchers:
                    watchers.remove(call)
                    if not watchers:
                        del self._watchers[task_id]

    # Reading

    def _read_loop(self) -> None:
        buffer = bytearray()
        reason = "the node closed the connection"
        try:
            while True:
                try:
                    chunk = self._sock.recv(1 << 16)
                except OSError as error:
                    reason = f"the connection broke ({error})"
                    break
                if not chunk:
                    break
                searched = len(buffer)
                buffer += chunk
                start = 0
                while True:
                    end = buffer.find(b"\n", max(start, searched))
                    if end < 0:
                        break
                    self._handle_line(bytes(buffer[start:end]))
                    start = end + 1
                if start:
                    del buffer[:start]
                if len(buffer) > MAX_INCOMING_LINE_BYTES:
                    reason = f"the node sent a line longer than {MAX_INCOMING_LINE_BYTES} bytes"
                    logger.error("%s; closing the connection", reason)
                    break
        finally:
            self._shut_down(reason)

    def _handle_line(self, line: bytes) -> None:
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line.strip():
            return
        try:
            message = json.loads(line)
        except ValueError:
            logger.warning("ignored a line from the node that is not JSON: %r", line[:200])
            return
        if not isinstance(message, dict):
            logger.warning("ignored a line from the node that is not a JSON object: %r", line[:200])
            return
        try:
            method = message.get("method")
            if isinstance(method, str):
                if message.get("id") is None:
                    self._route_notification(method, message.get("params"))
                else:
                    self._on_request(message)
            elif "result" in message or "error" in message:
                self._route_response(message)
            else:
                logger.warning("ignored a message from the node with neither method nor result: %r", line[:200])
        except Exception:  # never let one message stop the reader
            logger.exception("error while handling a message from the node")

    def _route_response(self, message: _JSON) -> None:
        request_id = message.get("id")
        with self._lock:
            call = self._calls.get(request_id) if isinstance(request_id, (int, str)) else None
        if call is not None:
            # The answer ends the call: it frees its slot and hears no more events, even if the
            # caller never reads the answer (an abandoned watch).
            self._forget(call)
            call.items.put(("response", message))
            return
        error = message.get("error")
        if request_id is None and isinstance(error, dict):
            # An error the node could not tie to a request (for example a line it could not read).
            self._last_unrouted_error = str(error.get("message"))
            logger.warning("the node reported an error: %s (%s)", error.get("message"), error.get("code"))
        else:
            logger.debug("ignored a response for %r, which is no request waiting", request_id)

    def _route_notification(self, method: str, params: Any) -> None:
        params = params if isinstance(params, dict) else {}
        if method == "task.submitted":
            request_id, task_id = params.get("requestId"), params.get("taskId")
            if isinstance(task_id, str):
                with self._lock:
                    call = self._calls.get(request_id) if isinstance(request_id, (int, str)) else None
                    if call is not None:
                        call.task_id = task_id
                        if call.track_submitted:
                            call.watched.add(task_id)
                            self._watchers.setdefault(task_id, []).append(call)
                if call is not None:
                    call.items.put(("submitted", task_id))
            return
        if method == "task.event":
            task_id, event = params.get("taskId"), params.get("event")
            if isinstance(task_id, str) and isinstance(event, dict):
                with self._lock:
                    watchers = list(self._watchers.get(task_id, ()))
                for call in watchers:
                    call.items.put(("event", (task_id, event)))
            return
        self._on_notification(method, params)

    # Closing

    def _shut_down(self, reason: str) -> None:
        if self._last_unrouted_error and "closed" in reason:
            reason += f" after reporting: {self._last_unrouted_error}"
        error = NodeUnreachable(f"{reason} ({self.path})", self.path)
        with self._lock:
            if self._closed_error is None:
                self._closed_error = error
            error = self._closed_error
            calls = list(self._calls.values())
        for call in calls:
            call.items.put(("closed", error))
        self.closed.set()
        if self._on_close is not None and not self._closing:
            try:
                self._on_close(error)
            except Exception:
                logger.exception("error while handling the end of the connection")

    def close(self) -> None:
        """Closes the connection; calls still waiting raise :class:`NodeUnreachable`."""
        with self._lock:
            if self._closing:
                return
            self._closing = True
            if self._closed_error is None:
                self._closed_error = NodeUnreachable(f"the connection to {self.path} was closed by this client",
                                                     self.path)
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        if threading.current_thread() is not self._reader:
            self._reader.join(timeout=5)
        self._sock.close()
