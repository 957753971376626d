"""Accepted work survives a crash: real gridnode processes, ``kill -9`` and restart.

Node 1 is the submitter and serves ``sleep`` with 2 slots; node 2 serves ``sleep`` with 2 slots
too. Tasks submitted to node 1 are journaled before the submit returns; after node 1 is killed
and started again, every one of them ends: resumed and run within its deadline, or ended as timed
out when its deadline passed while the node was down. Results stay retrievable after a restart.
"""

from __future__ import annotations

import time
from typing import List, Tuple

import pytest

import gridclient
from gridnode_harness import Cluster, Node, Nodes, poll

pytestmark = pytest.mark.integration

WAIT = 60.0


@pytest.fixture
def pair(nodes: Nodes) -> Tuple[Node, Node, str]:
    node2 = nodes.node("node2")
    node2.set_config(maxConcurrentTasks=2)
    node2.start("sleep")
    bootstrap = nodes.bootstrap_file(node2)
    node1 = nodes.node("node1")
    node1.set_config(maxConcurrentTasks=2)
    node1.start("sleep", bootstrap=bootstrap)
    Cluster.wait_for_peer(node1, node2, "sleep")
    return node1, node2, bootstrap


def wait_all(node: Node, ids: List[str]) -> List[gridclient.Task]:
    with node.client() as client:
        result = client.wait(ids, timeout=WAIT)
        assert not result.pending, f"still running after {WAIT} s: {result.pending}\n{node.log_tail()}"
        return sorted(result.done, key=lambda task: ids.index(task.task_id))


def test_tasks_running_queued_and_delegated_when_the_submitter_is_killed_all_complete(pair) -> None:
    node1, node2, bootstrap = pair
    with node1.client() as client:
        # 2 run on node 1, 2 go to node 2, the rest wait for a free slot on either.
        ids = [client.submit("sleep", "1500", timeout=WAIT).task_id for _ in range(10)]
    node1.kill()
    node1.start("sleep", bootstrap=bootstrap)
    tasks = wait_all(node1, ids)
    assert [task.status for task in tasks] == ["succeeded"] * 10, [(t.error_code, t.error_message) for t in tasks]
    assert all(task.output_text == "1500" for task in tasks)
    assert "resumed 10 unfinished tasks" in open(node1.log_path).read()
    # The results are in the store: a further restart still answers them.
    node1.stop()
    node1.start("sleep", bootstrap=bootstrap)
    with node1.client() as client:
        assert [client.get(task_id).status for task_id in ids] == ["succeeded"] * 10


def test_a_task_whose_deadline_passed_while_the_node_was_down_ends_timed_out(pair) -> None:
    node1, _, bootstrap = pair
    with node1.client() as client:
        task = client.submit("sleep", "30000", timeout=1.5)
    node1.kill()
    deadline = task.submitted_at_ms / 1000 + 1.5
    poll(lambda: time.time() > deadline + 0.1, "the task's deadline to pass", 10)
    node1.start("sleep", bootstrap=bootstrap)
    with node1.client() as client:
        ended = client.get(task.task_id)
    assert ended.status == "failed" and ended.error_code == "timed_out", ended
    assert "restarted after the task's deadline had passed" in (ended.error_message or "")


def test_a_task_resumed_while_no_provider_is_up_yet_waits_for_it(pair) -> None:
    node1, node2, bootstrap = pair
    # Node 1 comes back without the skill; node 2, which has it, is down at first.
    with node1.client() as client:
        ids = [client.submit("sleep", "100", timeout=WAIT).task_id for _ in range(3)]
    node1.kill()
    node2.kill()
    node1.start("echo", bootstrap=bootstrap)
    # Same identity and port as before (a later --listen wins): node 1 redials it from its bootstrap file.
    node2.start("sleep", extra=["--listen", node2.listen_address])
    Cluster.wait_for_peer(node1, node2, "sleep")
    tasks = wait_all(node1, ids)
    assert [task.status for task in tasks] == ["succeeded"] * 3, [(t.error_code, t.error_message) for t in tasks]
    assert all(task.executor == node2.node_id for task in tasks)
