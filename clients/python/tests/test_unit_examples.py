"""The example scripts, run as programs against the fake node."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any, Dict

from fakenode import WAIT, FakeConn, FakeNode

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")
TASK = "0123456789abcdef0123456789abcdef"
NODE2 = "cd" * 32


def test_submit_example_prints_events_then_the_output(fake: FakeNode, short_dir: str) -> None:
    def submit(c: FakeConn, m: Dict[str, Any]) -> Dict[str, Any]:
        assert m["params"] == {"skill": "text.upper", "input": "hello grid", "wait": True,
                               "timeoutMs": 30000, "events": True}
        c.notify("task.submitted", {"requestId": m["id"], "taskId": TASK})
        for event in ({"kind": "submitted"}, {"kind": "sent", "nodeId": NODE2, "attempt": 1},
                      {"kind": "progress", "nodeId": NODE2, "fraction": 0.5, "message": "word 1 of 2"},
                      {"kind": "succeeded", "nodeId": NODE2}):
            c.notify("task.event", {"taskId": TASK, "event": event})
        return {"result": {"taskId": TASK, "skill": "text.upper", "status": "succeeded",
                           "output": "HELLO GRID", "executor": NODE2}}

    fake.on("task.submit", submit)
    done = subprocess.run([sys.executable, os.path.join(EXAMPLES, "submit.py"), "--data-dir", short_dir,
                           "text.upper", "hello grid"], capture_output=True, text=True, timeout=WAIT * 3)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "HELLO GRID\n"
    assert done.stderr.splitlines() == [
        "  submitted", "  sent on cdcdcdcd", "  progress 50% on cdcdcdcd: word 1 of 2", "  succeeded on cdcdcdcd",
        "ran on cdcdcdcd"]


def test_submit_example_failure_exits_1(fake: FakeNode, short_dir: str) -> None:
    fake.on("task.submit", lambda c, m: {"error": {"code": -32001, "message": "no node serves skill 'text.upper'",
                                                   "data": {"reason": "no_provider", "taskId": TASK}}})
    done = subprocess.run([sys.executable, os.path.join(EXAMPLES, "submit.py"), "--data-dir", short_dir,
                           "text.upper", "x"], capture_output=True, text=True, timeout=WAIT * 3)
    assert done.returncode == 1
    assert done.stderr == "error: no_provider: no node serves skill 'text.upper'\n"


def test_submit_example_without_a_node(short_dir: str) -> None:
    done = subprocess.run([sys.executable, os.path.join(EXAMPLES, "submit.py"), "--data-dir", short_dir,
                           "echo", "x"], capture_output=True, text=True, timeout=WAIT * 3)
    assert done.returncode == 1 and "gridnode run" in done.stderr


def test_serve_example_serves_until_ctrl_c(fake: FakeNode, short_dir: str) -> None:
    served: Dict[str, Any] = {}

    def serve(c: FakeConn, m: Dict[str, Any]) -> Dict[str, Any]:
        served.update(m["params"]["skills"][0])
        return {"result": {"served": [{"name": "text.upper", "capacity": 4, "running": 0}]}}

    fake.on("skill.serve", serve)
    fake.on("skill.unserve", lambda c, m: {"result": {"served": []}})
    server = subprocess.Popen([sys.executable, os.path.join(EXAMPLES, "serve_upper.py"), "--data-dir", short_dir,
                               "--delay", "0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        conn = fake.connection(timeout=WAIT * 3)
        conn.next_request("skill.serve", timeout=WAIT * 3)
        assert served == {"name": "text.upper", "capacity": 4, "description": "upper-cases UTF-8 text"}
        conn.request("node-1", "task.run", {"taskId": TASK, "skill": "text.upper", "input": "hello grid",
                                            "requester": NODE2, "deadlineMs": int(time.time() * 1000) + 30000})
        first = conn.next_notification("task.progress")["params"]
        second = conn.next_notification("task.progress")["params"]
        assert (first["fraction"], first["message"]) == (0.5, "word 1 of 2")
        assert (second["fraction"], second["message"]) == (1.0, "word 2 of 2")
        assert conn.next_response() == {"jsonrpc": "2.0", "id": "node-1", "result": {"output": "HELLO GRID"}}
        server.send_signal(signal.SIGINT)
        assert conn.next_request("skill.unserve")["params"] == {"drain": True}
        out, _ = server.communicate(timeout=WAIT)
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()
    assert server.returncode == 0, out
    assert b"serving text.upper (capacity 4)" in out
