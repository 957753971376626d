"""A graceful stop drains: real gridnode processes and SIGTERM.

On the submitter: no new submissions, waiting clients are told, running work gets
``drainTimeoutMs`` to finish, and what is left stays journaled and resumes at the next start. On an
executor: it refuses new work and hands its tasks back to their requesters, who run them elsewhere.
"""

from __future__ import annotations

import signal
import threading
import time
from typing import Dict

import pytest

import gridclient
from gridclient import GridError
from gridnode_harness import Cluster, Nodes, poll

pytestmark = pytest.mark.integration

WAIT = 60.0


def test_sigterm_of_the_submitter_finishes_what_it_can_and_journals_the_rest(nodes: Nodes) -> None:
    node2 = nodes.node("node2")
    node2.set_config(maxConcurrentTasks=2)
    node1 = nodes.node("node1")
    node1.set_config(drainTimeoutMs=1500)
    node2.start("sleep")
    bootstrap = nodes.bootstrap_file(node2)
    node1.start("echo", bootstrap=bootstrap)
    Cluster.wait_for_peer(node1, node2, "sleep")
    with node1.client() as client:
        short = client.submit("sleep", "400", timeout=WAIT).task_id  # ends within the drain
        long = client.submit("sleep", "6000", timeout=WAIT).task_id  # does not
    told: Dict[str, BaseException] = {}

    def waiter() -> None:
        try:
            with node1.client() as client:
                client.wait([long], timeout=WAIT)
        except BaseException as error:  # the node's answer at the stop
            told["error"] = error

    thread = threading.Thread(target=waiter)
    thread.start()
    stopped_at = time.monotonic()
    assert node1.process is not None
    node1.process.send_signal(signal.SIGTERM)

    def refused() -> bool:
        try:
            with node1.client() as client:
                client.submit("echo", "late")
        except GridError as error:
            return error.reason == "shutting_down"
        except gridclient.NodeUnreachable:
            raise AssertionError("the node stopped before it refused a submission")
        return False
    poll(refused, "a submission during the drain to be refused as shutting_down", 10)
    node1.process.wait(timeout=15)
    took = time.monotonic() - stopped_at
    thread.join(timeout=15)
    assert isinstance(told.get("error"), GridError), told
    assert told["error"].reason == "shutting_down" and long in str(told["error"])
    assert took < 5, f"the node took {took:.1f} s to stop with a 1.5 s drain"
    log = open(node1.log_path).read()
    assert "1 of this node's tasks unfinished" in log, node1.log_tail()
    assert "cancelled by" in open(node2.log_path).read(), "node 2 was told to stop the long task"

    node1.start("echo", bootstrap=bootstrap)
    with node1.client() as client:
        assert client.get(short).status == "succeeded", "finished during the drain"
        done = client.wait(long, timeout=WAIT)
        assert done.status == "succeeded" and done.output_text == "6000", done


def test_sigterm_of_an_executor_hands_its_tasks_back_and_they_run_elsewhere(nodes: Nodes) -> None:
    node2 = nodes.node("node2")
    node2.set_config(maxConcurrentTasks=1, drainTimeoutMs=300)
    node3 = nodes.node("node3")
    node3.set_config(maxConcurrentTasks=1)
    node1 = nodes.node("node1")
    node2.start("sleep")
    node1.start("echo", bootstrap=nodes.bootstrap_file(node2))
    Cluster.wait_for_peer(node1, node2, "sleep")
    with node1.client() as client:
        # Node 2 is the only provider: one runs there, the other waits in its queue.
        ids = [client.submit("sleep", "3000", timeout=WAIT).task_id for _ in range(2)]
    node3.start("sleep", bootstrap=nodes.bootstrap_file(node1))
    Cluster.wait_for_peer(node1, node3, "sleep")
    stopped_at = time.monotonic()
    node2.stop()
    took = time.monotonic() - stopped_at
    assert took < 5, f"node 2 took {took:.1f} s to stop with a 0.3 s drain"
    assert "peers' tasks handed back to their requesters" in open(node2.log_path).read(), node2.log_tail()
    with node1.client() as client:
        result = client.wait(ids, timeout=WAIT)
    assert not result.pending, node1.log_tail()
    assert [task.status for task in result.done] == ["succeeded"] * 2, [(t.error_code, t.error_message) for t in result.done]
    assert all(task.executor == node3.node_id for task in result.done)
