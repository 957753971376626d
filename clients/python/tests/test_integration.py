"""Integration tests against real gridnode processes: two peered nodes on loopback.

Node 2 serves ``sha256``; node 1 serves ``echo``, ``sleep`` and ``fail`` and bootstraps from
node 2. Tests of methods (or params) a node may not have yet probe the node first and skip, with
the reason, only when it answers that it lacks them; they run by themselves once it has them.
"""

from __future__ import annotations

import hashlib
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import uuid
from typing import Iterator, List

import pytest

import gridclient
from gridclient import GridError, SkillError, TaskFailed
from gridnode_harness import Cluster, poll, probe_method, probe_submit_param

pytestmark = pytest.mark.integration

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(os.path.dirname(HERE), "examples")
WAIT = 30.0


@pytest.fixture(scope="module")
def cluster(gridnode_bin: str) -> Iterator[Cluster]:
    nodes = Cluster(gridnode_bin)
    try:
        yield nodes
    finally:
        nodes.stop()
        nodes.remove()


@pytest.fixture
def grid(cluster: Cluster) -> Iterator[gridclient.Client]:
    """A client of node 1."""
    with cluster.node1.client() as client:
        yield client


def require_method(client: gridclient.Client, method: str, bad_params: dict) -> None:
    reason = probe_method(client, method, bad_params)
    if reason:
        pytest.skip(reason)


@pytest.fixture
def serving(grid: gridclient.Client) -> None:
    """Skips unless the node has skill.serve."""
    require_method(grid, "skill.serve", {"skills": []})


@pytest.fixture
def events(grid: gridclient.Client) -> None:
    """Skips unless the node has task.submit's `events`."""
    reason = probe_submit_param(grid, "events", "not a boolean")
    if reason:
        pytest.skip(reason)


def ended(grid: gridclient.Client, task_id: str) -> gridclient.Task:
    """The task once it has ended, polling task.get (which every node has)."""
    def get() -> "gridclient.Task | None":
        task = grid.get(task_id)
        return task if task.done else None
    return poll(get, f"task {task_id} to end", WAIT)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


# The node and its peers


def test_info_and_peers(cluster: Cluster, grid: gridclient.Client) -> None:
    info = grid.info()
    assert info.node_id == cluster.node1.node_id and len(info.node_id) == 64
    assert {"echo", "sleep", "fail"} <= set(info.skills)
    assert info.protocol_version == 1 and info.peer_count >= 1
    peers = {p.node_id: p for p in grid.peers()}
    node2 = peers[cluster.node2.node_id]
    assert node2.connected and "sha256" in node2.skills
    assert isinstance(grid.metrics(), dict)


# Submitting


def test_submit_wait_runs_locally_text_and_binary(cluster: Cluster, grid: gridclient.Client) -> None:
    task = grid.submit("echo", "hello", wait=True)
    assert task.ok and task.output == b"hello" and task.output_text == "hello"
    assert task.executor == cluster.node1.node_id
    assert task.attempts and task.attempts[0].outcome == "succeeded"
    data = bytes(range(256))
    binary = grid.submit("echo", data, wait=True, timeout=10, priority="critical")
    assert binary.output == data and binary.output_text is None
    empty = grid.submit("echo", wait=True)
    assert empty.output == b"" and empty.output_text == ""


def test_submit_is_delegated_to_the_peer_that_has_the_skill(cluster: Cluster, grid: gridclient.Client) -> None:
    task = grid.submit("sha256", "hello", wait=True, timeout=20)
    assert task.output_text == hashlib.sha256(b"hello").hexdigest()
    assert task.executor == cluster.node2.node_id
    with cluster.node2.client() as other:
        assert other.submit("echo", "back", wait=True).executor == cluster.node1.node_id


def test_submit_without_wait_then_get(grid: gridclient.Client) -> None:
    task = grid.submit("sleep", "200", priority=200, cacheable=False, retry_errors=False)
    assert task.status in ("running", "succeeded") and len(task.task_id) == 32
    done = ended(grid, task.task_id)
    assert done.ok and done.output_text == "200" and done.finished_at_ms >= done.submitted_at_ms


def test_cancel(grid: gridclient.Client) -> None:
    task = grid.submit("sleep", "60000", timeout=120)
    cancelled = grid.cancel(task)
    assert cancelled.failed and cancelled.error_code == "cancelled"
    assert grid.get(task.task_id).error_code == "cancelled"
    finished = grid.submit("echo", "x", wait=True)
    assert grid.cancel(finished.task_id).ok  # an ended task is left as it is


def test_failures_raise_task_failed(grid: gridclient.Client) -> None:
    with pytest.raises(TaskFailed) as caught:
        grid.submit("fail", "it went wrong", wait=True)
    assert caught.value.reason == "skill_failed" and caught.value.message == "it went wrong"
    assert caught.value.task_id and grid.get(caught.value.task_id).error_code == "skill_failed"
    with pytest.raises(TaskFailed) as caught:
        grid.submit("resize", "x", wait=True)
    assert caught.value.reason == "no_provider" and "resize" in caught.value.message
    with pytest.raises(TaskFailed) as caught:
        grid.submit("sleep", "5000", wait=True, timeout=0.3)
    assert caught.value.reason == "timed_out"


def test_bad_params_and_unknown_things(grid: gridclient.Client) -> None:
    with pytest.raises(GridError) as caught:
        grid.submit("Not A Skill!", "x")
    assert caught.value.code == -32602
    with pytest.raises(GridError) as caught:
        grid.get("not-a-task-id")
    assert caught.value.code == -32602
    with pytest.raises(GridError) as caught:
        grid.get("0" * 32)
    assert caught.value.code == -32002 and caught.value.data.get("taskId") == "0" * 32
    with pytest.raises(GridError) as caught:
        grid.cancel("0" * 32)
    assert caught.value.code == -32002
    with pytest.raises(GridError) as caught:
        grid.submit("echo", b"x" * (1024 * 1024 + 1))
    assert caught.value.code == -32602 and caught.value.reason == "too_large"
    with pytest.raises(GridError) as caught:
        grid.call("no.such.method")
    assert caught.value.code == -32601
    assert grid.submit("echo", "still fine", wait=True).output_text == "still fine"


def test_many_threads_share_one_connection(grid: gridclient.Client) -> None:
    results: "queue.Queue[object]" = queue.Queue()

    def work(n: int) -> None:
        try:
            text = f"input {n}"
            task = grid.submit("echo", text, wait=True, timeout=20)
            results.put(task.output_text == text)
        except BaseException as error:  # noqa: BLE001
            results.put(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 2)
    answers = [results.get_nowait() for _ in range(8)]
    assert answers == [True] * 8


# Watching, waiting, listing


def test_wait(grid: gridclient.Client) -> None:
    require_method(grid, "task.wait", {"taskIds": []})
    first, second = grid.submit("sleep", "100"), grid.submit("sleep", "200")
    result = grid.wait([first, second.task_id], timeout=WAIT)
    assert [t.task_id for t in result.done] == [first.task_id, second.task_id] and result.pending == []
    assert all(t.ok for t in result.done)

    slow, quick = grid.submit("sleep", "60000", timeout=120), grid.submit("echo", "quick")
    result = grid.wait([slow, quick], any=True, timeout=WAIT)
    assert [t.task_id for t in result.done] == [quick.task_id] and result.pending == [slow.task_id]
    running = grid.wait(slow, timeout=0.2)
    assert running.status == "running"
    grid.cancel(slow)
    assert grid.wait(slow).error_code == "cancelled"


def test_watch(grid: gridclient.Client) -> None:
    require_method(grid, "task.watch", {"taskId": "not-a-task-id"})
    task = grid.submit("sleep", "1500", timeout=20)  # long enough to be running when the watch starts
    watch = grid.watch(task, timeout=WAIT)
    events = list(watch)
    kinds = [e.kind for e in events]
    assert kinds[0] == "submitted" and kinds[-1] == "succeeded", kinds
    assert all(e.task_id == task.task_id for e in events)
    assert [e for e in events if e.final] == events[-1:]
    assert watch.task is not None and watch.task.output_text == "1500"

    # A task that has ended already: one final event, made from its view.
    failed = grid.submit("fail", "nope")
    poll(lambda: grid.get(failed.task_id).done, "the fail task to end", WAIT)
    seen: List[gridclient.Event] = []
    ended = grid.watch(failed.task_id, seen.append, timeout=WAIT)
    assert ended.failed and [e.kind for e in seen] == ["failed"] and seen[0].code == "skill_failed"


def test_submit_with_events(grid: gridclient.Client, events: None) -> None:
    seen: List[gridclient.Event] = []
    task = grid.submit("sleep", "300", wait=True, timeout=20, on_event=seen.append)
    assert task.ok
    kinds = [e.kind for e in seen]
    assert kinds[0] == "submitted" and kinds[-1] == "succeeded" and "started" in kinds, kinds


def test_list(grid: gridclient.Client) -> None:
    require_method(grid, "task.list", {"limit": 0})
    marker = unique("list")
    mine = grid.submit("echo", marker, wait=True)
    assert mine.task_id in [t.task_id for t in grid.list(skill="echo", limit=1000)]
    succeeded = grid.list(status="succeeded", skill="echo", limit=2)
    assert 1 <= len(succeeded) <= 2 and all(t.ok and t.skill == "echo" for t in succeeded)
    newest = grid.list(limit=3)
    assert [t.submitted_at_ms for t in newest] == sorted((t.submitted_at_ms for t in newest), reverse=True)
    page1 = grid.list(limit=1)
    page2 = grid.list(limit=1000, before_ms=page1[0].submitted_at_ms)
    assert len(page1) == 1 and page1[0].task_id not in [t.task_id for t in page2]
    assert all(t.submitted_at_ms < page1[0].submitted_at_ms for t in page2)


def test_idempotency_key(grid: gridclient.Client) -> None:
    reason = probe_submit_param(grid, "idempotencyKey", "k" * 129)
    if reason:
        pytest.skip(reason)
    key = unique("key")
    first = grid.submit("sleep", "200", idempotency_key=key)
    again = grid.submit("sleep", "200", idempotency_key=key)
    assert again.task_id == first.task_id
    waited = grid.submit("sleep", "200", wait=True, idempotency_key=key)
    assert waited.task_id == first.task_id and waited.ok
    other = grid.submit("sleep", "200", idempotency_key=unique("key"))
    assert other.task_id != first.task_id


# Serving


def wait_until_served(client: gridclient.Client, skill: str, present: bool = True) -> None:
    poll(lambda: (skill in client.info().skills) == present,
         f"node.info to {'list' if present else 'drop'} skill {skill}", WAIT)


def test_serve_locally(cluster: Cluster, grid: gridclient.Client, serving: None) -> None:
    skill = unique("py.upper")
    with cluster.node1.client() as app:
        app.add_skill(skill, lambda task: task.text.upper(), capacity=2, description="upper-cases text")
        served = app.start_serving()
        assert served == [gridclient.ServedSkill(skill, 2, 0)]
        wait_until_served(grid, skill)
        task = grid.submit(skill, "hello", wait=True, timeout=20)
        assert task.output_text == "HELLO" and task.executor == cluster.node1.node_id


def test_handler_errors(cluster: Cluster, grid: gridclient.Client, serving: None) -> None:
    skill = unique("py.fail")

    def handler(task: gridclient.SkillTask) -> str:
        if task.text == "bad":
            raise SkillError("cannot use 'bad'", reason="invalid_input")
        raise RuntimeError("the handler exploded")

    with cluster.node1.client() as app:
        app.add_skill(skill, handler)
        app.start_serving()
        wait_until_served(grid, skill)
        with pytest.raises(TaskFailed) as caught:
            grid.submit(skill, "bad", wait=True, timeout=20)
        assert caught.value.reason == "invalid_input" and caught.value.message == "cannot use 'bad'"
        with pytest.raises(TaskFailed) as caught:
            grid.submit(skill, "other", wait=True, timeout=20)
        assert caught.value.reason == "skill_failed" and "the handler exploded" in caught.value.message
        with pytest.raises(TaskFailed) as caught:
            grid.submit(skill, b"\xff\xfe", wait=True, timeout=20)
        assert caught.value.reason == "invalid_input"


def test_a_serving_connection_submits_to_itself(cluster: Cluster, serving: None) -> None:
    skill = unique("py.rev")
    with cluster.node1.client() as app:
        app.add_skill(skill, lambda task: task.input[::-1])
        app.start_serving()
        wait_until_served(app, skill)
        task = app.submit(skill, b"abc", wait=True, timeout=20)
        assert task.output == b"cba" and task.executor == cluster.node1.node_id


def test_cancel_reaches_the_handler(cluster: Cluster, grid: gridclient.Client, serving: None) -> None:
    skill = unique("py.slow")
    started = threading.Event()
    outcome: "queue.Queue[object]" = queue.Queue()

    def slow(task: gridclient.SkillTask) -> str:
        started.set()
        outcome.put((task.cancelled.wait(WAIT), task.cancel_reason))
        raise SkillError("stopped", reason="cancelled")

    with cluster.node1.client() as app:
        app.add_skill(skill, slow)
        app.start_serving()
        wait_until_served(grid, skill)
        task = grid.submit(skill, "x", timeout=60)
        assert started.wait(WAIT)
        assert grid.cancel(task).error_code == "cancelled"
        assert outcome.get(timeout=WAIT) == (True, "cancelled")


def test_capacity(cluster: Cluster, grid: gridclient.Client, serving: None) -> None:
    skill = unique("py.block")
    lock = threading.Lock()
    running = [0, 0]
    two_running = threading.Event()
    release = threading.Event()

    def block(task: gridclient.SkillTask) -> str:
        with lock:
            running[0] += 1
            running[1] = max(running[1], running[0])
            if running[0] == 2:
                two_running.set()
        release.wait(WAIT)
        with lock:
            running[0] -= 1
        return task.text

    with cluster.node1.client() as app:
        app.add_skill(skill, block, capacity=2)
        app.start_serving()
        wait_until_served(grid, skill)
        tasks = [grid.submit(skill, str(n), timeout=60) for n in range(3)]
        assert two_running.wait(WAIT)
        with pytest.raises(AssertionError):  # the third waits in the node's queue, not in a handler
            poll(lambda: running[0] > 2, "a third handler to run", 0.5)
        assert running == [2, 2]
        release.set()
        outputs = sorted(ended(grid, t.task_id).output_text or "" for t in tasks)
        assert outputs == ["0", "1", "2"] and running[1] == 2


def test_withdrawn_when_the_app_closes(cluster: Cluster, grid: gridclient.Client, serving: None) -> None:
    skill = unique("py.gone")
    app = cluster.node1.client()
    app.add_skill(skill, lambda task: "here")
    app.start_serving()
    wait_until_served(grid, skill)
    assert grid.submit(skill, "x", wait=True).output_text == "here"
    app.close()
    wait_until_served(grid, skill, present=False)
    with pytest.raises(TaskFailed) as caught:
        grid.submit(skill, "x", wait=True, timeout=10)
    assert caught.value.reason == "no_provider"


def test_unserve_hands_running_tasks_back(cluster: Cluster, grid: gridclient.Client, serving: None) -> None:
    skill = unique("py.hold")
    started = threading.Event()
    outcome: "queue.Queue[object]" = queue.Queue()

    def hold(task: gridclient.SkillTask) -> str:
        started.set()
        outcome.put((task.cancelled.wait(WAIT), task.cancel_reason))
        return "never sent"

    with cluster.node1.client() as app:
        app.add_skill(skill, hold)
        app.start_serving()
        wait_until_served(grid, skill)
        task = grid.submit(skill, "x", timeout=60)
        assert started.wait(WAIT)
        assert app.unserve() == []
        assert outcome.get(timeout=WAIT) == (True, "withdrawn")
        assert ended(grid, task.task_id).failed


def test_a_task_goes_to_another_app_when_its_app_goes_away(cluster: Cluster, grid: gridclient.Client,
                                                          serving: None) -> None:
    skill = unique("py.two")
    started_first = threading.Event()

    def first_app(task: gridclient.SkillTask) -> str:
        started_first.set()
        task.cancelled.wait(WAIT)
        return "first"

    first = cluster.node1.client()
    try:
        first.add_skill(skill, first_app)
        first.start_serving()
        with cluster.node1.client() as second:
            second.add_skill(skill, lambda task: "second")
            second.start_serving()
            wait_until_served(grid, skill)
            # Both have one free place: the task goes to the one that began serving first.
            task = grid.submit(skill, "x", timeout=60)
            assert started_first.wait(WAIT)
            first.close()  # it dies holding the task: the node hands it to the other app
            done = ended(grid, task.task_id)
            assert done.ok and done.output_text == "second"
    finally:
        first.close()


def test_an_output_too_large_for_the_node(cluster: Cluster, grid: gridclient.Client, serving: None, caplog) -> None:
    import logging
    caplog.set_level(logging.WARNING, logger="gridclient")
    skill = unique("py.big")
    with cluster.node1.client() as app:
        app.add_skill(skill, lambda task: b"x" * (1024 * 1024 + 1))  # the node's maxTaskBytes is 1 MiB
        app.start_serving()
        wait_until_served(grid, skill)
        with pytest.raises(TaskFailed) as caught:
            grid.submit(skill, "x", wait=True, timeout=20)
        poll(lambda: "bad answer" in caplog.text, "the node.error about the bad answer to be logged", WAIT)
    assert caught.value.reason in ("internal", "all_candidates_failed"), caught.value


def test_a_builtin_name_cannot_be_served(grid: gridclient.Client, serving: None) -> None:
    grid.add_skill("echo", lambda task: "")
    with pytest.raises(GridError) as caught:
        grid.start_serving()
    assert caught.value.code == -32602 and "echo" in caught.value.message


def test_run_until_stop(cluster: Cluster, grid: gridclient.Client, serving: None) -> None:
    skill = unique("py.run")
    with cluster.node1.client() as app:
        app.add_skill(skill, lambda task: "ran")
        thread = threading.Thread(target=app.run, daemon=True)
        thread.start()
        wait_until_served(grid, skill)
        assert grid.submit(skill, wait=True).output_text == "ran"
        app.stop()
        thread.join(WAIT)
        assert not thread.is_alive()
        wait_until_served(grid, skill, present=False)


def test_progress_of_a_local_task(cluster: Cluster, grid: gridclient.Client, serving: None, events: None) -> None:
    skill = unique("py.progress")
    seen_progress = threading.Event()

    def handler(task: gridclient.SkillTask) -> str:
        task.progress(0.25, "a quarter")
        seen_progress.wait(WAIT)  # keep the task running until the submitter has seen the progress
        return "done"

    with cluster.node1.client() as app:
        app.add_skill(skill, handler)
        app.start_serving()
        wait_until_served(grid, skill)
        seen: List[gridclient.Event] = []

        def on_event(event: gridclient.Event) -> None:
            seen.append(event)
            if event.kind == "progress":
                seen_progress.set()

        try:
            task = grid.submit(skill, "x", wait=True, timeout=WAIT * 2, on_event=on_event)
        finally:
            seen_progress.set()
    assert task.output_text == "done"
    progress = [e for e in seen if e.kind == "progress"]
    assert len(progress) == 1 and (progress[0].fraction, progress[0].message) == (0.25, "a quarter")
    assert seen[0].kind == "submitted" and seen[-1].kind == "succeeded"
    assert "started" in [e.kind for e in seen]


# The README's example: a Python function served on node 2, submitted from node 1 with progress

#: How long the example's handler holds its task for the submitter to see its progress. When the
#: progress does come, the handler goes on at once; this bounds the wait of a node that does not
#: pass progress on across the wire.
PROGRESS_WAIT = 10.0

NO_REMOTE_PROGRESS = ("node 1 passed on no progress of the task its peer ran (the wire TaskProgress "
                      "is not in the node yet); everything else of the example passed")


def test_readme_example_in_process(cluster: Cluster, serving: None, events: None) -> None:
    seen_progress = threading.Event()
    app = cluster.node2.client()

    @app.skill("text.upper", capacity=4)
    def upper(task: gridclient.SkillTask) -> str:
        task.progress(0.5, "half way")
        seen_progress.wait(PROGRESS_WAIT)  # until node 1's app has seen the progress
        return task.text.upper()

    try:
        app.start_serving()
        cluster.wait_for_peer(cluster.node1, cluster.node2, "text.upper", timeout=WAIT)
        seen: List[gridclient.Event] = []

        def on_event(event: gridclient.Event) -> None:
            seen.append(event)
            if event.kind == "progress":
                seen_progress.set()

        with cluster.node1.client() as grid:
            task = grid.submit("text.upper", "hello grid", wait=True, timeout=WAIT * 2, on_event=on_event)
        assert task.output_text == "HELLO GRID" and task.executor == cluster.node2.node_id
        kinds = [e.kind for e in seen]
        assert kinds[0] == "submitted" and kinds[-1] == "succeeded", kinds
        assert [e.node_id for e in seen if e.kind == "sent"] == [cluster.node2.node_id], seen
    finally:
        seen_progress.set()
        app.close()
    cluster.wait_for_peer(cluster.node1, cluster.node2, "text.upper", present=False, timeout=WAIT)
    progress = [e for e in seen if e.kind == "progress"]
    if not progress:
        pytest.skip(NO_REMOTE_PROGRESS)
    assert (progress[0].fraction, progress[0].message) == (0.5, "half way")
    assert progress[0].node_id in (None, cluster.node2.node_id)


def test_readme_example_scripts(cluster: Cluster, serving: None, events: None) -> None:
    env = dict(os.environ)  # the examples import gridclient as the tests do (conftest.py)
    server = subprocess.Popen(
        [sys.executable, os.path.join(EXAMPLES, "serve_upper.py"), "--data-dir", cluster.node2.data_dir],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    try:
        cluster.wait_for_peer(cluster.node1, cluster.node2, "text.upper", timeout=WAIT)
        submit = subprocess.run(
            [sys.executable, os.path.join(EXAMPLES, "submit.py"), "--data-dir", cluster.node1.data_dir,
             "text.upper", "hello grid from python"],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, timeout=60)
        assert submit.returncode == 0, submit.stderr
        assert submit.stdout == "HELLO GRID FROM PYTHON\n"
        assert f"sent on {cluster.node2.node_id[:8]}" in submit.stderr, submit.stderr
        assert submit.stderr.splitlines()[-2:] == [f"  succeeded on {cluster.node2.node_id[:8]}",
                                                   f"ran on {cluster.node2.node_id[:8]}"], submit.stderr
    finally:
        server.send_signal(signal.SIGINT)
        try:
            out, _ = server.communicate(timeout=WAIT)
        except subprocess.TimeoutExpired:
            server.kill()
            out, _ = server.communicate(timeout=WAIT)
    assert server.returncode == 0, out
    assert b"serving text.upper" in out, out
    cluster.wait_for_peer(cluster.node1, cluster.node2, "text.upper", present=False, timeout=WAIT)

    failing = subprocess.run(
        [sys.executable, os.path.join(EXAMPLES, "submit.py"), "--data-dir", cluster.node1.data_dir,
         "text.upper", "nobody serves it now"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, timeout=60)
    assert failing.returncode == 1 and "no_provider" in failing.stderr, failing.stderr

    if "progress" not in submit.stderr:
        pytest.skip(NO_REMOTE_PROGRESS)
    # The executor passes on the latest report at most every 250 ms: some words' reports are left out.
    node2 = cluster.node2.node_id[:8]
    assert re.search(rf"^  progress \d+% on {node2}: word [1-4] of 4$", submit.stderr, re.M), submit.stderr
    assert f"  started on {node2}" in submit.stderr, submit.stderr


def test_gridnode_serve_killed_mid_task_hands_the_task_to_another_provider(
        cluster: Cluster, grid: gridclient.Client, serving: None, gridnode_bin: str) -> None:
    """Two `gridnode serve` processes on node 2; the one running node 1's task is killed -9, and
    the task completes on the other, across the wire."""
    skill = unique("sh.upper")
    marker = os.path.join(cluster.root, skill + ".started")
    # The first provider records its process group, then never answers.
    slow = ["sh", "-c", f"echo $$ > {marker}; sleep 300"]
    serve = [gridnode_bin, "serve", "--data-dir", cluster.node2.data_dir, skill, "--"]
    first = subprocess.Popen(serve + slow, stderr=subprocess.PIPE, text=True)
    second = None
    try:
        assert "serving" in (first.stderr.readline() if first.stderr else "")
        cluster.wait_for_peer(cluster.node1, cluster.node2, skill)
        second = subprocess.Popen(serve + ["tr", "a-z", "A-Z"], stderr=subprocess.PIPE, text=True)
        assert "serving" in (second.stderr.readline() if second.stderr else "")
        # Both have one free place: the task goes to the one that began serving first.
        task = grid.submit(skill, "hello from node 1", timeout=60)
        poll(lambda: os.path.exists(marker) and os.path.getsize(marker) > 0, "the first provider to start the task", WAIT)
        first.kill()  # SIGKILL: its connection closes with the task unanswered
        first.wait(WAIT)
        done = ended(grid, task.task_id)
        assert done.ok and done.output_text == "HELLO FROM NODE 1", done
        assert done.executor == cluster.node2.node_id
    finally:
        for process in (first, second):
            if process and process.poll() is None:
                process.send_signal(signal.SIGINT)
                process.wait(WAIT)
        # A program whose `gridnode serve` was killed -9 outlives it: end it here.
        if os.path.exists(marker):
            try:
                os.killpg(int(open(marker).read().strip()), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
