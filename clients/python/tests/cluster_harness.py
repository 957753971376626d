"""Drives ``gridnode cluster`` for the tests: every command is the CLI as a tester types it."""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import subprocess
import tempfile
from typing import Any, Dict, List, Optional

import gridclient
from gridnode_harness import poll


def free_port_range(count: int) -> int:
    """A base port whose ``count`` ports are all free on 127.0.0.1 now."""
    rng = random.Random()
    for _ in range(200):
        base = rng.randrange(20000, 60000 - count)
        sockets = []
        try:
            for port in range(base, base + count):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sockets.append(s)
                s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise AssertionError(f"no {count} free ports in a row")


class Cluster:
    """One cluster directory; ``up`` starts it, ``down`` (always, in a finally) removes it."""

    def __init__(self, binary: str, nodes: int = 3, skills: Optional[List[str]] = None,
                 extra: Optional[List[str]] = None) -> None:
        self.binary = binary
        self.root = tempfile.mkdtemp(prefix="gc-", dir="/tmp")
        self.dir = os.path.join(self.root, "cluster")
        self.count = nodes
        self.base_port = free_port_range(nodes)
        self.skills = skills or []
        self.extra = extra or []

    def run(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        result = subprocess.run([self.binary, "cluster", *args, "--dir", self.dir], capture_output=True,
                                text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"gridnode cluster {' '.join(args)} exited {result.returncode}:\n"
                                 f"{result.stdout}\n{result.stderr}\n{self.logs()}")
        return result

    def up(self) -> List[Dict[str, Any]]:
        args = ["up", "--nodes", str(self.count), "--base-port", str(self.base_port), "--json", *self.extra]
        if self.skills:
            args += ["--skills", *self.skills]
        rows: List[Dict[str, Any]] = json.loads(self.run(*args).stdout)
        return rows

    def status(self) -> Dict[str, Dict[str, Any]]:
        return {row["name"]: row for row in json.loads(self.run("status", "--json").stdout)}

    def client(self, node: str) -> gridclient.Client:
        return gridclient.Client(os.path.join(self.dir, node))

    def node_id(self, node: str) -> str:
        nid: str = self.status()[node]["nodeId"]
        return nid

    def alive_peers(self, node: str) -> List[str]:
        with self.client(node) as client:
            return [p.node_id for p in client.peers() if p.state == "alive"]

    def wait_peers(self, node: str, count: int, timeout: float = 30) -> None:
        poll(lambda: len(self.alive_peers(node)) == count, f"{node} to see {count} peers", timeout=timeout)

    def logs(self) -> str:
        out = []
        for i in range(1, self.count + 1):
            path = os.path.join(self.dir, f"node{i}", "node.log")
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    out.append(f"--- node{i}\n" + "".join(f.readlines()[-30:]))
        return "\n".join(out)

    def down(self) -> None:
        if os.path.exists(os.path.join(self.dir, "cluster.json")):
            subprocess.run([self.binary, "cluster", "down", "--remove", "--timeout", "20", "--dir", self.dir],
                           capture_output=True, timeout=120)
        shutil.rmtree(self.root, ignore_errors=True)
