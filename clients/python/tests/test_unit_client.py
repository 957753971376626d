"""Unit tests against the fake node: socket resolution, framing, ID routing, notifications, tasks."""

from __future__ import annotations

import base64
import json
import logging
import os
import queue
import threading
from typing import Any, Dict, List

import pytest

import gridclient
from gridclient import Client, GridError, NodeUnreachable, TaskFailed
from fakenode import WAIT, FakeConn, FakeNode

TASK = "0123456789abcdef0123456789abcdef"
NODE = "ab" * 32


def view(task_id: str = TASK, **members: Any) -> Dict[str, Any]:
    base = {"taskId": task_id, "skill": "echo", "status": "succeeded", "submittedAtMs": 1000,
            "finishedAtMs": 1005, "executor": NODE, "output": "hi"}
    base.update(members)
    return {k: v for k, v in base.items() if v is not None}


# Finding the socket


def test_socket_path_from_data_dir_env_and_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDNODE_HOME", "/srv/grid")
    monkeypatch.setenv("HOME", "/home/ann")
    assert gridclient.resolve_socket_path("/tmp/n1/") == "/tmp/n1/gridnode.sock"
    assert gridclient.resolve_socket_path() == "/srv/grid/gridnode.sock"
    assert gridclient.resolve_socket_path(socket_path="/x/s.sock") == "/x/s.sock"
    monkeypatch.delenv("GRIDNODE_HOME")
    assert gridclient.resolve_socket_path() == "/home/ann/.gridnode/gridnode.sock"
    monkeypatch.setenv("GRIDNODE_HOME", "")
    assert gridclient.resolve_socket_path() == "/home/ann/.gridnode/gridnode.sock"


def test_no_node_raises_node_unreachable_telling_what_to_do(short_dir: str) -> None:
    with pytest.raises(NodeUnreachable) as caught:
        Client(data_dir=short_dir)
    message = str(caught.value)
    assert os.path.join(short_dir, "gridnode.sock") in message
    assert "gridnode run" in message and "data_dir" in message
    assert isinstance(caught.value, ConnectionError)


def test_env_var_is_used(fake: FakeNode, short_dir: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDNODE_HOME", short_dir)
    fake.result("node.info", {"nodeId": NODE, "listenAddress": "127.0.0.1:7401", "skills": ["echo"],
                              "peerCount": 0, "droppedMessages": 0, "protocolVersion": 1})
    with Client() as grid:
        info = grid.info()
    assert info.node_id == NODE and info.skills == ("echo",) and info.protocol_version == 1


# Framing


def test_request_lines_are_json_rpc(connected) -> None:
    grid, conn = connected
    conn.node.result("node.info", {"nodeId": NODE})
    conn.node.result("task.get", view())
    grid.info()
    grid.get(TASK)
    lines = list(conn.raw_lines)
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first == {"jsonrpc": "2.0", "id": first["id"], "method": "node.info"}
    assert isinstance(first["id"], int)
    assert second["method"] == "task.get" and second["params"] == {"taskId": TASK}
    assert second["id"] != first["id"]


def test_responses_split_joined_and_with_crlf(connected) -> None:
    grid, conn = connected
    requests: List[Dict[str, Any]] = []
    conn.node.on("task.get", lambda c, m: requests.append(m) or None)
    results: Dict[int, Any] = {}

    def get(n: int) -> None:
        results[n] = grid.get(f"{n:032x}")

    threads = [threading.Thread(target=get, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for _ in range(3):
        conn.next_request("task.get")
    by_task = {m["params"]["taskId"]: m["id"] for m in requests}
    one = json.dumps({"jsonrpc": "2.0", "id": by_task[f"{0:032x}"], "result": view(f"{0:032x}")}).encode()
    two = json.dumps({"jsonrpc": "2.0", "id": by_task[f"{1:032x}"], "result": view(f"{1:032x}")}).encode()
    three = json.dumps({"jsonrpc": "2.0", "id": by_task[f"{2:032x}"], "result": view(f"{2:032x}")}).encode()
    # Garbage and empty lines are ignored; a response may come byte by byte, or several at once.
    conn.send_raw(b"\n\r\nnot json\n[1,2]\n")
    for byte in one + b"\r\n":
        conn.send_raw(bytes([byte]))
    conn.send_raw(two + b"\n" + three + b"\n")
    for t in threads:
        t.join(WAIT)
    assert sorted(results) == [0, 1, 2]
    assert all(results[n].task_id == f"{n:032x}" for n in range(3))


def test_large_response_line(connected) -> None:
    grid, conn = connected
    big = os.urandom(3 * 1024 * 1024)
    conn.node.result("task.get", view(output=None, outputBase64=base64.b64encode(big).decode()))
    task = grid.get(TASK)
    assert task.output == big and task.output_text is None


def test_too_long_request_is_refused_before_sending(connected) -> None:
    grid, conn = connected
    with pytest.raises(GridError) as caught:
        grid.submit("echo", b"x" * (4 * 1024 * 1024))
    assert caught.value.code == -32600 and "4194304" in caught.value.message
    conn.node.result("node.info", {"nodeId": NODE})
    grid.info()  # the connection is still good
    assert [json.loads(line)["method"] for line in conn.raw_lines] == ["node.info"]


def test_non_unicode_text_is_refused(connected) -> None:
    grid, _ = connected
    with pytest.raises(ValueError, match="bytes"):
        grid.submit("echo", "\ud800")


# Routing by ID


def test_concurrent_calls_answered_in_reverse_order(connected) -> None:
    grid, conn = connected
    pending: List[Dict[str, Any]] = []
    all_in = threading.Event()

    def hold(c: FakeConn, m: Dict[str, Any]) -> None:
        pending.append(m)
        if len(pending) == 8:
            all_in.set()
        return None

    conn.node.on("task.get", hold)
    results: Dict[str, gridclient.Task] = {}

    def get(task_id: str) -> None:
        results[task_id] = grid.get(task_id)

    ids = [f"{n:032x}" for n in range(8)]
    threads = [threading.Thread(target=get, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    assert all_in.wait(WAIT)
    for m in reversed(pending):
        conn.reply(m, result=view(m["params"]["taskId"]))
    for t in threads:
        t.join(WAIT)
    assert {k: v.task_id for k, v in results.items()} == {i: i for i in ids}


def test_requests_in_flight_are_bounded_below_the_nodes_64(connected) -> None:
    from gridclient._connection import MAX_IN_FLIGHT
    grid, conn = connected
    held: "queue.Queue[Dict[str, Any]]" = queue.Queue()
    conn.node.on("task.get", lambda c, m: held.put(m))
    threads = [threading.Thread(target=grid.get, args=(f"{n:032x}",)) for n in range(MAX_IN_FLIGHT + 2)]
    for t in threads:
        t.start()
    first = [held.get(timeout=WAIT) for _ in range(MAX_IN_FLIGHT)]
    with pytest.raises(queue.Empty):  # the two others wait for a free slot
        held.get(timeout=0.3)
    conn.reply(first[0], result=view(first[0]["params"]["taskId"]))
    rest = [held.get(timeout=WAIT)]
    with pytest.raises(queue.Empty):
        held.get(timeout=0.3)
    for m in first[1:] + rest:
        conn.reply(m, result=view(m["params"]["taskId"]))
    conn.reply(held.get(timeout=WAIT), result=view())
    for t in threads:
        t.join(WAIT)
    assert not any(t.is_alive() for t in threads)
    assert MAX_IN_FLIGHT < 64


def test_response_for_unknown_id_and_null_id_error_are_ignored(connected, caplog) -> None:
    grid, conn = connected
    caplog.set_level(logging.WARNING, logger="gridclient")
    conn.send({"jsonrpc": "2.0", "id": 9999, "result": {}})
    conn.send({"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "not a JSON object"}})
    conn.node.result("node.info", {"nodeId": NODE})
    assert grid.info().node_id == NODE
    assert "not a JSON object" in caplog.text


def test_error_response_raises_grid_error(connected) -> None:
    grid, conn = connected
    conn.node.on("task.get", lambda c, m: {"error": {
        "code": -32002, "message": "no task on this node", "data": {"taskId": m["params"]["taskId"]}}})
    with pytest.raises(GridError) as caught:
        grid.get(TASK)
    assert caught.value.code == -32002
    assert caught.value.data == {"taskId": TASK}
    assert "no task on this node" in str(caught.value)


def test_connection_closed_while_waiting(connected) -> None:
    grid, conn = connected
    conn.node.on("task.submit", lambda c, m: c.close())
    with pytest.raises(NodeUnreachable, match="closed"):
        grid.submit("sleep", "1000", wait=True)
    assert grid.closed
    with pytest.raises(NodeUnreachable):
        grid.info()


def test_close_fails_waiting_calls(connected) -> None:
    grid, conn = connected
    conn.node.on("task.submit", lambda c, m: None)
    errors: List[BaseException] = []

    def submit() -> None:
        try:
            grid.submit("sleep", "1000", wait=True)
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    thread = threading.Thread(target=submit)
    thread.start()
    conn.next_request("task.submit")
    grid.close()
    thread.join(WAIT)
    assert len(errors) == 1 and isinstance(errors[0], NodeUnreachable)


def test_call_timeout(connected) -> None:
    grid, conn = connected
    conn.node.on("node.info", lambda c, m: None)
    with pytest.raises(gridclient.CallTimeout):
        grid.call("node.info", timeout=0.2)


# Submitting


def test_submit_params(connected) -> None:
    grid, conn = connected
    conn.node.on("task.submit", lambda c, m: {"result": view(status="running", output=None)})
    grid.submit("echo", "hello")
    grid.submit("echo", b"\x00\xff")
    grid.submit("echo", b"")
    grid.submit("echo", "x", wait=True, timeout=2.5, priority="high", replicas=3, min_trust=0.5,
                cacheable=True, retry_errors=True, idempotency_key="k-1", verify="strict")
    grid.submit("echo", priority=7)
    params = [conn.next_request("task.submit")["params"] for _ in range(5)]
    assert params[0] == {"skill": "echo", "input": "hello"}
    assert params[1] == {"skill": "echo", "inputBase64": base64.b64encode(b"\x00\xff").decode()}
    assert params[2] == {"skill": "echo"}
    assert params[3] == {"skill": "echo", "input": "x", "wait": True, "timeoutMs": 2500, "priority": 160,
                         "replicas": 3, "minTrust": 0.5, "cacheable": True, "retryApplicationErrors": True,
                         "idempotencyKey": "k-1", "verify": "strict"}
    assert params[4] == {"skill": "echo", "priority": 7}


@pytest.mark.parametrize("kwargs, error", [
    ({"priority": "urgent"}, ValueError),
    ({"priority": 256}, ValueError),
    ({"priority": True}, TypeError),
    ({"timeout": 0}, ValueError),
    ({"timeout": "5"}, TypeError),
    ({"idempotency_key": ""}, ValueError),
    ({"verify": "always"}, ValueError),
    ({"idempotency_key": "k" * 129}, ValueError),
    ({"on_event": print}, ValueError),  # without wait
    ({"input": 5}, TypeError),
])
def test_submit_bad_arguments_send_nothing(connected, kwargs, error) -> None:
    grid, conn = connected
    with pytest.raises(error):
        grid.submit("echo", **kwargs)
    with pytest.raises(ValueError):
        grid.submit("")
    assert conn.raw_lines == []


def test_priority_names() -> None:
    assert [gridclient.priority_level(p) for p in ("low", "normal", "high", "critical", "LOW", 0, 255)] == \
        [32, 96, 160, 224, 32, 0, 255]


def test_task_view_parsing(connected) -> None:
    grid, conn = connected
    conn.node.result("task.get", view(output=None, outputBase64=base64.b64encode(b"\xff\x00").decode(),
                                      attempts=[{"nodeId": NODE, "replica": 0, "outcome": "succeeded",
                                                 "latencyMs": 1.5}]))
    task = grid.get(TASK)
    assert task.output == b"\xff\x00" and task.output_text is None
    assert task.ok and task.done and not task.failed
    assert task.attempts == (gridclient.Attempt(node_id=NODE, replica=0, outcome="succeeded", latency_ms=1.5),)
    assert hash(task) == hash(grid.get(TASK))
    assert task.raw["outputBase64"] == "/wA="
    conn.node.result("task.get", view(status="failed", output=None, executor=None,
                                      error={"code": "cancelled", "message": "was cancelled"}))
    failed = grid.get(TASK)
    assert failed.failed and failed.error_code == "cancelled" and failed.output is None
    with pytest.raises(TaskFailed) as caught:
        failed.raise_for_status()
    assert caught.value.reason == "cancelled" and caught.value.task_id == TASK


def test_submit_wait_failure_raises_task_failed(connected) -> None:
    grid, conn = connected
    conn.node.on("task.submit", lambda c, m: {"error": {
        "code": -32001, "message": "no node serves skill 'resize'",
        "data": {"reason": "no_provider", "taskId": TASK}}})
    with pytest.raises(TaskFailed) as caught:
        grid.submit("resize", "x", wait=True)
    failure = caught.value
    assert (failure.reason, failure.task_id, failure.code) == ("no_provider", TASK, -32001)
    assert failure.message == "no node serves skill 'resize'"
    assert isinstance(failure, GridError)
    assert "no_provider" in str(failure)


def test_submit_with_events_delivers_them_in_order_in_the_callers_thread(connected) -> None:
    grid, conn = connected

    def submit(c: FakeConn, m: Dict[str, Any]) -> Dict[str, Any]:
        assert m["params"]["events"] is True and m["params"]["wait"] is True
        c.notify("task.event", {"taskId": TASK, "event": {"kind": "submitted", "atMs": 1}})  # before task.submitted: not ours yet
        c.notify("task.submitted", {"requestId": m["id"], "taskId": TASK})
        c.notify("task.event", {"taskId": TASK, "event": {"kind": "started", "atMs": 2, "nodeId": NODE, "attempt": 1}})
        c.notify("task.event", {"taskId": "f" * 32, "event": {"kind": "started", "atMs": 2}})  # another task
        c.notify("task.event", {"taskId": TASK, "event": {"kind": "progress", "atMs": 3, "fraction": 0.5,
                                                        "message": "half way", "attempt": 1}})
        c.notify("task.event", {"taskId": TASK, "event": {"kind": "succeeded", "atMs": 4, "nodeId": NODE}})
        return {"result": view()}

    conn.node.on("task.submit", submit)
    seen: List[gridclient.Event] = []
    threads = set()

    def on_event(event: gridclient.Event) -> None:
        seen.append(event)
        threads.add(threading.get_ident())

    task = grid.submit("echo", "hi", wait=True, on_event=on_event)
    assert task.output_text == "hi"
    assert [e.kind for e in seen] == ["started", "progress", "succeeded"]
    assert seen[1].fraction == 0.5 and seen[1].message == "half way" and seen[1].attempt == 1
    assert seen[0].node_id == NODE and seen[0].task_id == TASK
    assert seen[-1].final and not seen[0].final
    assert threads == {threading.get_ident()}


def test_submit_timeout_names_the_task(connected) -> None:
    grid, conn = connected
    import gridclient.client as client_module

    def submit(c: FakeConn, m: Dict[str, Any]) -> None:
        c.notify("task.submitted", {"requestId": m["id"], "taskId": TASK})
        return None  # never answers

    conn.node.on("task.submit", submit)
    original = client_module.WAIT_GRACE_SECONDS
    client_module.WAIT_GRACE_SECONDS = 0.1
    try:
        with pytest.raises(gridclient.CallTimeout) as caught:
            grid.submit("sleep", "5000", wait=True, timeout=0.1)
    finally:
        client_module.WAIT_GRACE_SECONDS = original
    assert caught.value.task_id == TASK and TASK in str(caught.value)


def test_on_event_exception_propagates(connected) -> None:
    grid, conn = connected

    def submit(c: FakeConn, m: Dict[str, Any]) -> Dict[str, Any]:
        c.notify("task.submitted", {"requestId": m["id"], "taskId": TASK})
        c.notify("task.event", {"taskId": TASK, "event": {"kind": "started"}})
        return {"result": view()}

    conn.node.on("task.submit", submit)

    def explode(event: gridclient.Event) -> None:
        raise RuntimeError("callback broke")

    with pytest.raises(RuntimeError, match="callback broke"):
        grid.submit("echo", "hi", wait=True, on_event=explode)
    conn.node.result("node.info", {"nodeId": NODE})
    assert grid.info().node_id == NODE


# Watching, waiting, listing


def test_watch_iterates_events_and_ends_with_the_final_one(connected) -> None:
    grid, conn = connected

    def watch(c: FakeConn, m: Dict[str, Any]) -> Dict[str, Any]:
        for kind in ("submitted", "sent", "accepted"):
            c.notify("task.event", {"taskId": TASK, "event": {"kind": kind, "queuePosition": 2}})
        c.notify("task.event", {"taskId": TASK, "event": {"kind": "succeeded"}})
        return {"result": view()}

    conn.node.on("task.watch", watch)
    watch_ = grid.watch(TASK)
    events = list(watch_)
    assert [e.kind for e in events] == ["submitted", "sent", "accepted", "succeeded"]
    assert events[2].queue_position == 2
    assert watch_.task is not None and watch_.task.output_text == "hi"


def test_watch_of_an_ended_task_gives_one_final_event(connected) -> None:
    grid, conn = connected
    conn.node.result("task.watch", view(executor=NODE))
    events = list(grid.watch(TASK))
    assert len(events) == 1 and events[0].kind == "succeeded" and events[0].node_id == NODE


def test_watch_of_a_failed_task_with_callback(connected) -> None:
    grid, conn = connected

    def watch(c: FakeConn, m: Dict[str, Any]) -> Dict[str, Any]:
        c.notify("task.event", {"taskId": TASK, "event": {"kind": "retrying", "message": "connection lost"}})
        return {"error": {"code": -32001, "message": "boom", "data": {"reason": "skill_failed", "taskId": TASK}}}

    conn.node.on("task.watch", watch)
    conn.node.result("task.get", view(status="failed", output=None, error={"code": "skill_failed", "message": "boom"}))
    seen: List[gridclient.Event] = []
    task = grid.watch(TASK, seen.append)
    assert task.failed and task.error_code == "skill_failed"
    assert [e.kind for e in seen] == ["retrying", "failed"]
    assert seen[-1].code == "skill_failed" and seen[-1].message == "boom"


def test_watch_unknown_task_raises(connected) -> None:
    grid, conn = connected
    conn.node.on("task.watch", lambda c, m: {"error": {"code": -32002, "message": "no task"}})
    with pytest.raises(GridError) as caught:
        list(grid.watch(TASK))
    assert caught.value.code == -32002


def test_wait_single_and_many(connected) -> None:
    grid, conn = connected
    other = "e" * 32

    def wait(c: FakeConn, m: Dict[str, Any]) -> Dict[str, Any]:
        ids = m["params"]["taskIds"]
        if len(ids) == 1:
            return {"result": {"done": [view(ids[0])], "pending": []}}
        return {"result": {"done": [view(ids[0])], "pending": ids[1:]}}

    conn.node.on("task.wait", wait)
    task = grid.wait(TASK)
    assert isinstance(task, gridclient.Task) and task.task_id == TASK
    result = grid.wait([TASK, other], any=True, timeout=1.5)
    assert [t.task_id for t in result.done] == [TASK] and result.pending == [other]
    first = conn.next_request("task.wait")["params"]
    second = conn.next_request("task.wait")["params"]
    assert first == {"taskIds": [TASK], "mode": "all"}
    assert second == {"taskIds": [TASK, other], "mode": "any", "timeoutMs": 1500}
    with pytest.raises(ValueError):
        grid.wait([])


def test_wait_single_after_timeout_returns_the_running_task(connected) -> None:
    grid, conn = connected
    conn.node.result("task.wait", {"done": [], "pending": [TASK]})
    conn.node.result("task.get", view(status="running", output=None, finishedAtMs=None))
    task = grid.wait(TASK, timeout=0.01)
    assert task.status == "running"


def test_list_params(connected) -> None:
    grid, conn = connected
    conn.node.result("task.list", [view(), view("e" * 32, status="failed", output=None)])
    tasks = grid.list(status="failed", skill="echo", limit=5, before_ms=123)
    assert [t.task_id for t in tasks] == [TASK, "e" * 32]
    grid.list()
    assert conn.next_request("task.list")["params"] == {"status": "failed", "skill": "echo", "limit": 5, "beforeMs": 123}
    assert conn.next_request("task.list")["params"] == {"limit": 100}


def test_cancel_peers_and_others(connected) -> None:
    grid, conn = connected
    conn.node.result("task.cancel", view(status="failed", output=None, error={"code": "cancelled", "message": "x"}))
    conn.node.result("peers.list", [{"nodeId": NODE, "state": "alive", "address": "127.0.0.1:1", "skills": ["sha256"],
                                     "rttMs": 0.4, "trust": 1}])
    conn.node.result("peers.add", {"done": "dialling 127.0.0.1:2"})
    conn.node.result("node.metrics", {"tasks": {}})
    conn.node.result("route.explain", [{"nodeId": NODE, "rank": 1}])
    assert grid.cancel(TASK).error_code == "cancelled"
    peers = grid.peers()
    assert peers[0].connected and peers[0].skills == ("sha256",) and peers[0].rtt_ms == 0.4 and peers[0].trust == 1.0
    assert grid.add_peer("127.0.0.1:2") == "dialling 127.0.0.1:2"
    assert grid.metrics() == {"tasks": {}}
    assert grid.route("sha256")[0]["rank"] == 1


# Notifications


def test_node_error_is_logged(connected, caplog) -> None:
    grid, conn = connected
    caplog.set_level(logging.WARNING, logger="gridclient")
    conn.notify("node.error", {"message": 'answer for "node-7" ignored: already answered', "id": "node-7"})
    conn.notify("some.future.notification", {"x": 1})
    conn.node.result("node.info", {"nodeId": NODE})
    grid.info()  # the reader has handled the lines before this response
    assert 'answer for "node-7" ignored' in caplog.text and "node-7" in caplog.text


def test_unknown_request_from_the_node_is_answered_method_not_found(connected) -> None:
    grid, conn = connected
    conn.request("node-1", "app.frobnicate", {})
    response = conn.next_response()
    assert response["id"] == "node-1" and response["error"]["code"] == -32601
