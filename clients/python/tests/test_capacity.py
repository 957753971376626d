"""Work waits for a provider with room instead of failing: real gridnode processes.

The cases the issue measured: a burst far beyond one provider's slots, and a provider killed with
tasks queued for it while another provider is left.
"""

from __future__ import annotations

import pytest

from gridnode_harness import Cluster, Nodes

pytestmark = pytest.mark.integration

WAIT = 120.0


def test_a_burst_of_200_tasks_to_one_provider_with_4_slots_all_complete(nodes: Nodes) -> None:
    provider = nodes.node("provider")
    provider.set_config(maxConcurrentTasks=4)
    submitter = nodes.node("submitter")
    provider.start("sleep")
    submitter.start("echo", bootstrap=nodes.bootstrap_file(provider))
    Cluster.wait_for_peer(submitter, provider, "sleep")
    with submitter.client() as client:
        ids = [client.submit("sleep", "50", timeout=WAIT).task_id for _ in range(200)]
        result = client.wait(ids, timeout=WAIT)
    assert not result.pending, f"{len(result.pending)} still running\n{submitter.log_tail()}"
    failed = [(t.error_code, t.error_message) for t in result.done if t.status != "succeeded"]
    assert not failed, f"{len(failed)} of 200 failed, e.g. {failed[:3]}"
    assert all(t.executor == provider.node_id and t.output_text == "50" for t in result.done)


def test_a_provider_killed_with_tasks_queued_for_it_loses_none_while_another_is_left(nodes: Nodes) -> None:
    # The reproduction: 3 nodes, 6 'sleep 3000' tasks with a 30 s timeout, one of the two
    # sleep providers killed with -9 after the tasks went out (2 of 6 failed before).
    first = nodes.node("first")
    first.set_config(maxConcurrentTasks=2)
    second = nodes.node("second")
    second.set_config(maxConcurrentTasks=2)
    submitter = nodes.node("submitter")
    first.start("sleep")
    second.start("sleep")
    submitter.start("echo", bootstrap=nodes.bootstrap_file(first, second))
    Cluster.wait_for_peer(submitter, first, "sleep")
    Cluster.wait_for_peer(submitter, second, "sleep")
    with submitter.client() as client:
        ids = [client.submit("sleep", "3000", timeout=30).task_id for _ in range(6)]
        # 2 went to each provider at once (2 slots each); 2 wait at the submitter for room.
        first.kill()
        result = client.wait(ids, timeout=WAIT)
    assert not result.pending, submitter.log_tail()
    failed = [(t.error_code, t.error_message) for t in result.done if t.status != "succeeded"]
    assert not failed, f"{len(failed)} of 6 failed: {failed}"
    moved = [t for t in result.done if any(a.node_id == first.node_id for a in t.attempts)]
    assert moved, "some tasks were on the killed provider"
    assert all(t.executor == second.node_id for t in moved)
