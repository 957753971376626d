"""A tiny fake node: a Unix-socket JSON-RPC server run by threads, scripted by each test.

Each accepted connection gets a :class:`FakeConn`. A line from the client is parsed and then:

- a request or notification (it has ``method``) goes to the handler registered for that method
  with :meth:`FakeNode.on`: ``handler(conn, message)`` returns a response member dict
  (``{"result": ...}`` or ``{"error": {...}}``) to send back at once, or ``None`` to answer later
  (or never) with :meth:`FakeConn.reply`. A request with no handler gets ``-32601``;
- a response (no ``method``) is put on ``conn.responses``.

Every message is also put on ``conn.received``. Handlers run on the connection's thread, one at
a time, so a handler that blocks holds up that connection's later lines, as an old node does.
"""

from __future__ import annotations

import json
import os
import queue
import socket
import threading
from typing import Any, Callable, Dict, List, Optional

Message = Dict[str, Any]
Handler = Callable[["FakeConn", Message], Optional[Message]]

WAIT = 10.0  # seconds any single expectation of a test may take


class FakeConn:
    def __init__(self, node: "FakeNode", sock: socket.socket) -> None:
        self.node = node
        self.sock = sock
        self.received: "queue.Queue[Message]" = queue.Queue()
        self.responses: "queue.Queue[Message]" = queue.Queue()
        self.notifications: "queue.Queue[Message]" = queue.Queue()
        self.raw_lines: List[bytes] = []
        self._write = threading.Lock()
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    # Writing

    def send_raw(self, data: bytes) -> None:
        with self._write:
            self.sock.sendall(data)

    def send(self, message: Message) -> None:
        self.send_raw(json.dumps(message).encode() + b"\n")

    def reply(self, request: Message, **members: Any) -> None:
        """Answers ``request`` with ``result=...`` or ``error=...``."""
        self.send({"jsonrpc": "2.0", "id": request.get("id"), **members})

    def notify(self, method: str, params: Message) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, request_id: str, method: str, params: Message) -> None:
        self.send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    # Expectations

    def next_request(self, method: Optional[str] = None, timeout: float = WAIT) -> Message:
        """The next message received that has ``method`` (any method when None)."""
        while True:
            message = self.received.get(timeout=timeout)
            if "method" in message and (method is None or message["method"] == method):
                return message

    def next_response(self, timeout: float = WAIT) -> Message:
        return self.responses.get(timeout=timeout)

    def next_notification(self, method: str, timeout: float = WAIT) -> Message:
        while True:
            message = self.notifications.get(timeout=timeout)
            if message.get("method") == method:
                return message

    # Reading

    def _loop(self) -> None:
        buffer = b""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    self.raw_lines.append(line)
                    self._handle(line)
        except OSError:
            pass
        finally:
            self.closed.set()

    def _handle(self, line: bytes) -> None:
        try:
            message = json.loads(line)
        except ValueError:
            self.send({"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "not JSON"}})
            return
        self.received.put(message)
        if "method" not in message:
            self.responses.put(message)
            return
        if message.get("id") is None:
            self.notifications.put(message)
        handler = self.node.handlers.get(message["method"])
        if handler is None:
            if message.get("id") is not None:
                self.reply(message, error={"code": -32601, "message": f"unknown method '{message['method']}'"})
            return
        answer = handler(self, message)
        if answer is not None and message.get("id") is not None:
            self.reply(message, **answer)


class FakeNode:
    """Listens on ``path``; ``handlers`` maps a method to its handler."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.handlers: Dict[str, Handler] = {}
        self.connections: "queue.Queue[FakeConn]" = queue.Queue()
        self.all: List[FakeConn] = []
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(path)
        self._server.listen(16)
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def on(self, method: str, handler: Handler) -> None:
        self.handlers[method] = handler

    def result(self, method: str, result: Any) -> None:
        """Answers ``method`` with ``result`` always."""
        self.handlers[method] = lambda conn, message: {"result": result}

    def connection(self, timeout: float = WAIT) -> FakeConn:
        """The next connection accepted."""
        return self.connections.get(timeout=timeout)

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self._server.accept()
            except OSError:
                return
            conn = FakeConn(self, sock)
            self.all.append(conn)
            self.connections.put(conn)

    def stop(self) -> None:
        try:
            self._server.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._server.close()
        for conn in self.all:
            conn.close()
        try:
            os.unlink(self.path)
        except OSError:
            pass
