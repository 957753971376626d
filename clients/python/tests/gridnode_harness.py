"""Runs real ``gridnode`` processes for the integration tests.

Every wait polls with a deadline (the node's socket and ``node.info``, ``peers.list``); nothing
sleeps a fixed time to wait for something.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from typing import Any, Callable, List, Optional, TypeVar

import gridclient

T = TypeVar("T")

#: The longest a node may take to start, or a condition to hold.
READY_SECONDS = 60.0
STOP_SECONDS = 15.0


def poll(condition: Callable[[], Optional[T]], what: str, timeout: float = READY_SECONDS,
         interval: float = 0.05) -> T:
    """Calls ``condition`` until it returns something truthy, for at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


class Node:
    """One ``gridnode`` with its own data directory under ``root``."""

    def __init__(self, binary: str, root: str, name: str) -> None:
        self.binary = binary
        self.name = name
        self.data_dir = os.path.join(root, name)
        self.log_path = os.path.join(root, f"{name}.log")
        self.process: Optional[subprocess.Popen] = None
        self.node_id = ""
        self.listen_address = ""
        subprocess.run([binary, "init", "--data-dir", self.data_dir], check=True, timeout=60,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    @property
    def socket_path(self) -> str:
        return os.path.join(self.data_dir, "gridnode.sock")

    @property
    def store_path(self) -> str:
        return os.path.join(self.data_dir, "grid.sqlite")

    def _run_args(self, skills: str, bootstrap: Optional[str], extra: Optional[List[str]]) -> List[str]:
        args = [self.binary, "run", "--data-dir", self.data_dir, "--listen", "127.0.0.1:0",
                "--skills", skills, "--log-level", "info"]
        if bootstrap:
            args += ["--bootstrap", bootstrap]
        return args + (extra or [])

    def start(self, skills: str, bootstrap: Optional[str] = None, extra: Optional[List[str]] = None) -> "Node":
        args = self._run_args(skills, bootstrap, extra)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()
        info = poll(self._try_info, f"{self.name} to answer node.info (log: {self.log_path})")
        self.node_id = info.node_id
        self.listen_address = info.listen_address
        return self

    def run_refused(self, skills: str = "echo", extra: Optional[List[str]] = None,
                    timeout: float = READY_SECONDS) -> subprocess.CompletedProcess:
        """Runs ``gridnode run`` expecting it to refuse to start: it must exit (with whatever
        status) within ``timeout``; its output is returned, text, and appended to the log."""
        try:
            result = subprocess.run(self._run_args(skills, None, extra), stdin=subprocess.DEVNULL,
                                    capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{self.name}: gridnode run did not exit within {timeout:.0f} s; it started")
        with open(self.log_path, "a") as log:
            log.write(result.stderr)
        return result

    def command(self, *args: str) -> subprocess.CompletedProcess:
        """Runs ``gridnode ARGS --data-dir DIR`` to its end; its output is returned, text."""
        return subprocess.run([self.binary, *args, "--data-dir", self.data_dir], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=READY_SECONDS)

    def _try_info(self) -> Optional[gridclient.NodeInfo]:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"{self.name} exited with status {self.process.returncode}:\n{self.log_tail()}")
        if not os.path.exists(self.socket_path):
            return None
        try:
            with gridclient.Client(socket_path=self.socket_path, connect_timeout=2) as client:
                return client.info()
        except gridclient.NodeUnreachable:
            return None

    def client(self) -> gridclient.Client:
        return gridclient.Client(self.data_dir)

    def bootstrap_entry(self) -> dict:
        host, port = self.listen_address.rsplit(":", 1)
        return {"name": self.name, "address": host, "port": int(port), "publicKey": self.node_id}

    def log_tail(self, lines: int = 40) -> str:
        try:
            with open(self.log_path, "rb") as log:
                return b"".join(log.readlines()[-lines:]).decode("utf-8", "replace")
        except OSError:
            return "(no log)"

    def kill(self) -> None:
        """``kill -9``: the process ends at once, with no goodbye and no shutdown of its own."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.kill()
        self.process.wait(timeout=STOP_SECONDS)

    def set_config(self, **settings: Any) -> None:
        """Sets ``config.json`` settings (read when the node starts)."""
        path = os.path.join(self.data_dir, "config.json")
        with open(path) as file:
            config = json.load(file)
        config.update(settings)
        with open(path, "w") as file:
            json.dump(config, file)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_SECONDS)


class Cluster:
    """Two nodes: node 2 serves ``sha256``; node 1 serves ``echo``, ``sleep`` and ``fail`` and
    bootstraps from node 2, so they are peers."""

    def __init__(self, binary: str) -> None:
        self.root = tempfile.mkdtemp(prefix="gc-it-", dir="/tmp")  # short: socket paths are limited
        self.nodes: List[Node] = []
        try:
            self.node2 = self._node(binary, "node2").start("sha256")
            bootstrap = os.path.join(self.root, "bootstrap-peers.json")
            with open(bootstrap, "w") as file:
                json.dump({"peers": [self.node2.bootstrap_entry()]}, file)
            self.node1 = self._node(binary, "node1").start("echo,sleep,fail", bootstrap=bootstrap)
            self.wait_for_peer(self.node1, self.node2, "sha256")
            self.wait_for_peer(self.node2, self.node1, "echo")
        except BaseException:
            self.stop()
            raise

    def _node(self, binary: str, name: str) -> Node:
        node = Node(binary, self.root, name)
        self.nodes.append(node)
        return node

    @staticmethod
    def wait_for_peer(at: Node, peer: Node, skill: Optional[str] = None, present: bool = True,
                      timeout: float = READY_SECONDS) -> None:
        """Waits until ``at`` sees ``peer`` connected and (not) announcing ``skill``."""
        with at.client() as client:
            def ok() -> bool:
                for p in client.peers():
                    if p.node_id == peer.node_id and p.connected:
                        return skill is None or ((skill in p.skills) == present)
                return False
            state = "with" if present else "without"
            poll(ok, f"{at.name} to see {peer.name} connected {state} skill {skill}", timeout)

    def stop(self) -> None:
        for node in reversed(self.nodes):
            node.stop()

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def logs(self) -> str:
        return "\n".join(f"--- {n.name} ({n.log_path})\n{n.log_tail()}" for n in self.nodes)


class Nodes:
    """Nodes a test makes, starts, stops and breaks itself, each with its own data directory
    under one short root (``node(name)`` runs ``gridnode init``)."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.root = tempfile.mkdtemp(prefix="gc-nd-", dir="/tmp")  # short: socket paths are limited
        self.nodes: List[Node] = []

    def node(self, name: str) -> Node:
        node = Node(self.binary, self.root, name)
        self.nodes.append(node)
        return node

    def bootstrap_file(self, *peers: Node) -> str:
        """A bootstrap-peers file (under the root) naming ``peers``, which must be running."""
        path = os.path.join(self.root, "bootstrap-" + "-".join(peer.name for peer in peers) + ".json")
        with open(path, "w") as file:
            json.dump({"peers": [peer.bootstrap_entry() for peer in peers]}, file)
        return path

    def stop(self) -> None:
        for node in reversed(self.nodes):
            node.stop()

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def logs(self) -> str:
        return "\n".join(f"--- {n.name} ({n.log_path})\n{n.log_tail()}" for n in self.nodes)


def probe_method(client: gridclient.Client, method: str, params: Any) -> Optional[str]:
    """None when the node has ``method``; else why it has not (to skip a test with).

    ``params`` should be invalid, so a node that has the method answers -32602 and does nothing.
    """
    try:
        client.call(method, params, timeout=30)
    except gridclient.GridError as error:
        if error.code == gridclient.errors.METHOD_NOT_FOUND:
            return f"the node has no {method} yet (it answers 'method not found'); this test runs once it has"
    return None


def probe_submit_param(client: gridclient.Client, name: str, bad_value: Any) -> Optional[str]:
    """None when the node checks ``task.submit``'s param ``name`` (it refuses ``bad_value`` with
    -32602); else why not. A node without the param ignores it, as it ignores any unknown member
    (the probe's task is a harmless ``echo``)."""
    try:
        client.call("task.submit", {"skill": "echo", "input": "probe", name: bad_value}, timeout=30)
    except gridclient.GridError as error:
        if error.code == gridclient.errors.INVALID_PARAMS:
            return None
        raise
    return (f"the node ignores task.submit's '{name}' (it accepts an invalid one); "
            "this test runs once the node has it")
