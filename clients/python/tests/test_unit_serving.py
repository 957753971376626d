"""Unit tests of serving against the fake node: skill.serve, task.run round trips, errors,
progress, cancellation, capacity, run()/stop()."""

from __future__ import annotations

import base64
import queue
import threading
import time
from typing import Any, Dict, List

import pytest

import gridclient
from gridclient import Client, NodeUnreachable, SkillError
from fakenode import WAIT, FakeConn

TASK = "0123456789abcdef0123456789abcdef"
NODE = "ab" * 32


def served_echo(conn: FakeConn) -> None:
    """The fake answers skill.serve / skill.unserve the way the spec says."""
    state: Dict[str, Dict[str, Any]] = {}

    def serve(c: FakeConn, m: Dict[str, Any]) -> Dict[str, Any]:
        for skill in m["params"]["skills"]:
            state[skill["name"]] = {"name": skill["name"], "capacity": skill.get("capacity", 1), "running": 0}
        return {"result": {"served": sorted(state.values(), key=lambda s: s["name"])}}

    def unserve(c: FakeConn, m: Dict[str, Any]) -> Dict[str, Any]:
        for name in m["params"].get("skills") or list(state):
            state.pop(name, None)
        return {"result": {"served": sorted(state.values(), key=lambda s: s["name"])}}

    conn.node.on("skill.serve", serve)
    conn.node.on("skill.unserve", unserve)


def run_task(conn: FakeConn, request_id: str, skill: str = "text.upper", *, text: Any = "hello",
             data: Any = None, task_id: str = TASK, requester: str = NODE) -> None:
    params: Dict[str, Any] = {"taskId": task_id, "skill": skill, "requester": requester, "priority": 96,
                              "deadlineMs": int(time.time() * 1000) + 30000, "timeoutMs": 30000}
    if data is not None:
        params["inputBase64"] = base64.b64encode(data).decode()
    else:
        params["input"] = text
    conn.request(request_id, "task.run", params)


def test_skill_serve_params_and_result(connected) -> None:
    grid, conn = connected
    served_echo(conn)

    @grid.skill("text.upper", capacity=4, description="upper-cases text")
    def upper(task: gridclient.SkillTask) -> str:
        return task.text.upper()

    grid.add_skill("hash.fake", lambda task: b"\x00", deterministic=True)
    assert upper(type("T", (), {"text": "x"})()) == "X"  # the decorator returns the function
    served = grid.start_serving()
    assert served == [gridclient.ServedSkill("hash.fake", 1, 0), gridclient.ServedSkill("text.upper", 4, 0)]
    request = conn.next_request("skill.serve")
    assert request["params"] == {"skills": [
        {"name": "text.upper", "capacity": 4, "description": "upper-cases text"},
        {"name": "hash.fake", "capacity": 1, "deterministic": True}]}


def test_start_serving_without_skills_is_an_error(connected) -> None:
    grid, _ = connected
    with pytest.raises(ValueError, match="no skill"):
        grid.start_serving()
    with pytest.raises(ValueError):
        grid.add_skill("x", lambda t: "", capacity=0)
    with pytest.raises(TypeError):
        grid.add_skill("x", "not callable")  # type: ignore[arg-type]


def test_round_trip_text_bytes_none_and_progress(connected) -> None:
    grid, conn = connected
    served_echo(conn)
    seen: "queue.Queue[gridclient.SkillTask]" = queue.Queue()

    def handler(task: gridclient.SkillTask) -> Any:
        seen.put(task)
        if task.input == b"":
            return None
        if task.input.startswith(b"\xff"):
            return task.input[::-1]
        task.progress(0.5, "half way")
        task.progress(message="m" * 500)
        task.progress(message="é" * 150)  # 300 bytes
        return task.text.upper()

    grid.add_skill("text.upper", handler)
    grid.start_serving()

    run_task(conn, "node-1", text="hello")
    progress = conn.next_notification("task.progress")
    assert progress["params"] == {"taskId": TASK, "requester": NODE, "fraction": 0.5, "message": "half way"}
    assert "id" not in progress
    assert len(conn.next_notification("task.progress")["params"]["message"]) == 200
    assert conn.next_notification("task.progress")["params"]["message"] == "é" * 100
    assert conn.next_response() == {"jsonrpc": "2.0", "id": "node-1", "result": {"output": "HELLO"}}
    task = seen.get(timeout=WAIT)
    assert (task.task_id, task.skill, task.requester, task.priority) == (TASK, "text.upper", NODE, 96)
    assert task.deadline is not None and 0 < task.remaining <= 30  # type: ignore[operator]
    assert task.timeout == 30.0 and not task.cancelled.is_set()

    run_task(conn, "node-2", data=b"\xff\x00\x01")
    assert conn.next_response()["result"] == {"outputBase64": base64.b64encode(b"\x01\x00\xff").decode()}
    assert seen.get(timeout=WAIT).input == b"\xff\x00\x01"

    run_task(conn, "node-3", text="")
    assert conn.next_response()["result"] == {"output": ""}


@pytest.mark.parametrize("raise_, reason, message", [
    (ValueError("boom"), "skill_failed", "boom"),
    (KeyError, "skill_failed", "KeyError"),
    (SkillError("bad input here", reason="invalid_input"), "invalid_input", "bad input here"),
    (SkillError("busy", reason="internal"), "internal", "busy"),
    (SkillError("x" * 5000), "skill_failed", "x" * 1000),
])
def test_handler_errors(connected, raise_, reason, message) -> None:
    grid, conn = connected
    served_echo(conn)

    def handler(task: gridclient.SkillTask) -> str:
        raise raise_

    grid.add_skill("text.upper", handler)
    grid.start_serving()
    run_task(conn, "node-1")
    response = conn.next_response()
    assert response["id"] == "node-1"
    assert response["error"] == {"code": -32001, "message": message, "data": {"reason": reason}}


def test_bad_return_type_and_non_utf8_text(connected) -> None:
    grid, conn = connected
    served_echo(conn)
    grid.add_skill("bad.type", lambda task: 42)
    grid.add_skill("text.upper", lambda task: task.text)
    grid.start_serving()
    run_task(conn, "node-1", "bad.type")
    response = conn.next_response()
    assert response["error"]["data"]["reason"] == "skill_failed" and "int" in response["error"]["message"]
    run_task(conn, "node-2", data=b"\xff\xfe")
    response = conn.next_response()
    assert response["error"]["data"]["reason"] == "invalid_input"
    assert SkillError("m").reason == "skill_failed"
    with pytest.raises(ValueError):
        SkillError("m", reason="nope")


def test_progress_arguments_are_checked(connected) -> None:
    grid, conn = connected
    served_echo(conn)
    errors: "queue.Queue[str]" = queue.Queue()

    def handler(task: gridclient.SkillTask) -> str:
        for bad in ({}, {"fraction": 1.5}, {"fraction": -0.1}):
            try:
                task.progress(**bad)
            except ValueError as error:
                errors.put(str(error))
        return "ok"

    grid.add_skill("text.upper", handler)
    grid.start_serving()
    run_task(conn, "node-1")
    assert conn.next_response()["result"] == {"output": "ok"}
    assert errors.qsize() == 3


def test_unserved_skill_and_bad_base64(connected) -> None:
    grid, conn = connected
    served_echo(conn)
    grid.add_skill("text.upper", lambda task: "x")
    grid.start_serving()
    run_task(conn, "node-1", "other.skill")
    response = conn.next_response()
    assert response["id"] == "node-1" and response["error"]["data"]["reason"] == "internal"
    conn.request("node-2", "task.run", {"taskId": TASK, "skill": "text.upper", "inputBase64": "!!!"})
    assert conn.next_response()["error"]["data"]["reason"] == "internal"


def test_cancel_sets_the_event_and_no_answer_is_sent(connected) -> None:
    grid, conn = connected
    served_echo(conn)
    started = threading.Event()
    results: "queue.Queue[Any]" = queue.Queue()

    def handler(task: gridclient.SkillTask) -> str:
        if task.task_id == TASK:
            started.set()
            results.put(task.cancelled.wait(WAIT))
            results.put(task.cancel_reason)
            return "too late"
        return "second"

    grid.add_skill("text.upper", handler, capacity=2)
    grid.start_serving()
    run_task(conn, "node-1")
    assert started.wait(WAIT)
    conn.notify("task.cancel", {"taskId": TASK, "requester": NODE, "reason": "deadline"})
    assert results.get(timeout=WAIT) is True
    assert results.get(timeout=WAIT) == "deadline"
    run_task(conn, "node-2", task_id="f" * 32)
    response = conn.next_response()
    assert response["id"] == "node-2" and response["result"] == {"output": "second"}
    assert conn.responses.empty()


def test_cancel_for_an_unknown_task_is_harmless(connected) -> None:
    grid, conn = connected
    served_echo(conn)
    grid.add_skill("text.upper", lambda task: "ok")
    grid.start_serving()
    conn.notify("task.cancel", {"taskId": "9" * 32, "requester": NODE, "reason": "cancelled"})
    run_task(conn, "node-1")
    assert conn.next_response()["result"] == {"output": "ok"}


def test_capacity_bounds_concurrent_handlers(connected) -> None:
    grid, conn = connected
    served_echo(conn)
    lock = threading.Lock()
    running = [0, 0]  # now, most
    two_running = threading.Event()
    release = threading.Event()

    def handler(task: gridclient.SkillTask) -> str:
        with lock:
            running[0] += 1
            running[1] = max(running[1], running[0])
            if running[0] == 2:
                two_running.set()
        release.wait(WAIT)
        with lock:
            running[0] -= 1
        return task.task_id

    grid.add_skill("text.upper", handler, capacity=2)
    grid.start_serving()
    for n in (1, 2, 3):
        run_task(conn, f"node-{n}", task_id=str(n) * 32)
    assert two_running.wait(WAIT)
    # With room for a third, its handler would run now; it waits for a free thread instead.
    with pytest.raises(queue.Empty):
        conn.responses.get(timeout=0.3)
    assert running[0] == 2
    release.set()
    answers = {conn.next_response()["id"] for _ in range(3)}
    assert answers == {"node-1", "node-2", "node-3"} and running[1] == 2


def test_a_serving_connection_can_submit(connected) -> None:
    """The node hands the connection's own submission back to it as a task.run."""
    grid, conn = connected
    served_echo(conn)

    def submit(c: FakeConn, m: Dict[str, Any]) -> None:
        def later() -> None:
            run_task(c, "node-9", text=m["params"]["input"], requester=NODE)
            answer = c.next_response()
            c.reply(m, result={"taskId": TASK, "skill": "text.upper", "status": "succeeded",
                               "output": answer["result"]["output"], "executor": NODE})
        threading.Thread(target=later, daemon=True).start()
        return None

    conn.node.on("task.submit", submit)
    grid.add_skill("text.upper", lambda task: task.text.upper())
    grid.start_serving()
    task = grid.submit("text.upper", "from myself", wait=True)
    assert task.output_text == "FROM MYSELF"


def test_run_blocks_until_stop_then_unserves_with_drain(connected) -> None:
    grid, conn = connected
    served_echo(conn)
    grid.add_skill("text.upper", lambda task: task.text.upper())
    finished = threading.Event()

    def serve() -> None:
        grid.run()
        finished.set()

    thread = threading.Thread(target=serve)
    thread.start()
    conn.next_request("skill.serve")
    run_task(conn, "node-1")
    assert conn.next_response()["result"] == {"output": "HELLO"}
    assert not finished.is_set()
    grid.stop()
    assert finished.wait(WAIT)
    assert conn.next_request("skill.unserve")["params"] == {"drain": True}
    thread.join(WAIT)


def test_serve_raises_when_the_node_goes_away(connected) -> None:
    grid, conn = connected
    served_echo(conn)
    errors: List[BaseException] = []

    def serve() -> None:
        try:
            grid.serve("text.upper", lambda task: "x", capacity=2)
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    thread = threading.Thread(target=serve)
    thread.start()
    conn.next_request("skill.serve")
    conn.close()
    thread.join(WAIT)
    assert len(errors) == 1 and isinstance(errors[0], NodeUnreachable)


def test_connection_loss_cancels_running_handlers(connected) -> None:
    grid, conn = connected
    served_echo(conn)
    started = threading.Event()
    cancelled: "queue.Queue[bool]" = queue.Queue()

    def handler(task: gridclient.SkillTask) -> str:
        started.set()
        cancelled.put(task.cancelled.wait(WAIT))
        return "x"

    grid.add_skill("text.upper", handler)
    grid.start_serving()
    run_task(conn, "node-1")
    assert started.wait(WAIT)
    conn.close()
    assert cancelled.get(timeout=WAIT) is True


def test_adding_a_skill_while_serving_serves_it_at_once(connected) -> None:
    grid, conn = connected
    served_echo(conn)
    grid.add_skill("text.upper", lambda task: "a")
    grid.start_serving()
    conn.next_request("skill.serve")
    grid.add_skill("text.lower", lambda task: "b")
    assert conn.next_request("skill.serve")["params"] == {"skills": [{"name": "text.lower", "capacity": 1}]}
    run_task(conn, "node-1", "text.lower")
    assert conn.next_response()["result"] == {"output": "b"}
    assert grid.unserve(["text.lower"]) == [gridclient.ServedSkill("text.upper", 1, 0)]


def test_skill_serve_error_is_raised(connected) -> None:
    grid, conn = connected
    conn.node.on("skill.serve", lambda c, m: {"error": {
        "code": -32602, "message": "skill 'echo' is served by this node itself (built-in); pick another name"}})
    grid.add_skill("echo", lambda task: "")
    with pytest.raises(gridclient.GridError) as caught:
        grid.start_serving()
    assert caught.value.code == -32602 and "built-in" in caught.value.message


def test_close_while_serving_does_not_hang(fake, short_dir) -> None:
    grid = Client(data_dir=short_dir)
    conn = fake.connection()
    served_echo(conn)
    grid.add_skill("text.upper", lambda task: time.sleep(0.05) or "x")
    grid.start_serving()
    run_task(conn, "node-1")
    grid.close()
    assert grid.closed
    conn.closed.wait(WAIT)
