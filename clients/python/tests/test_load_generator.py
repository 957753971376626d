"""``gridnode load``, the load generator, against a real gridnode process: its JSON report, and
the node's own metrics counting the same tasks."""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List

import pytest

from gridnode_harness import Node, Nodes, poll

pytestmark = pytest.mark.integration

LATENCY_FIELDS = ("min", "p50", "p90", "p99", "max", "mean")


def task_counters(node: Node) -> Dict[str, Any]:
    result = node.command("metrics", "--json")
    assert result.returncode == 0, result.stderr
    counters: Dict[str, Any] = json.loads(result.stdout)["tasks"]
    return counters


def test_a_closed_loop_run_reports_what_the_node_counted(nodes: Nodes) -> None:
    node = nodes.node("loaded").start("echo")
    before = task_counters(node)
    report_path = os.path.join(nodes.root, "report.json")

    result = node.command("load", "--skill", "echo", "--concurrency", "4", "--duration", "2s", "--json", report_path)

    assert result.returncode == 0, result.stderr
    with open(report_path) as file:
        report = json.load(file)
    assert (report["mode"], report["concurrency"], report["skill"], report["node"]) == ("concurrency", 4, "echo", node.data_dir)
    assert report["succeeded"] > 0
    assert report["failed"] == 0 and report["skipped"] == 0 and report["errorsByReason"] == {}, report
    assert report["submitted"] == report["succeeded"]
    assert report["requestedDurationSeconds"] == 2
    assert report["durationSeconds"] >= 2.0  # submissions go on for 2 s; the last ones are waited for
    assert report["throughputPerSecond"] == pytest.approx(report["succeeded"] / report["durationSeconds"], rel=0.01)
    latency = report["latencyUs"]
    assert all(isinstance(latency[field], int) and latency[field] > 0 for field in LATENCY_FIELDS), latency
    assert latency["min"] <= latency["p50"] <= latency["p90"] <= latency["p99"] <= latency["max"]
    assert latency["min"] <= latency["mean"] <= latency["max"]
    # The text report goes to stdout as well.
    assert "throughput" in result.stdout and "p99" in result.stdout and "errors      none" in result.stdout

    # Every task was the node's own (one node: none delegated), so its counters moved by exactly
    # the report's. They are updated as each task ends, which may follow its answer by a moment.
    poll(lambda: task_counters(node)["completed"] - before["completed"] >= report["succeeded"],
         "the node to count the run's tasks as completed", timeout=10)
    after = task_counters(node)
    assert after["completed"] - before["completed"] == report["succeeded"]
    assert after["submitted"] - before["submitted"] == report["submitted"]
    assert after["executedLocally"] - before["executedLocally"] == report["succeeded"]
    assert after["failed"] == before["failed"]


@pytest.mark.parametrize("args, message", [
    (["--rate", "5", "--concurrency", "4"], "error: give --rate or --concurrency, not both"),
    (["--concurrency", "4", "--duration", "abc"], "error: --duration: 'abc' is not a duration"),
    (["--concurrency", "4", "--input-bytes", str((1 << 20) + 1)], "error: --input-bytes must be 0-1048576"),
    ([], "error: give --rate R (tasks per second, open loop) or --concurrency C"),
])
def test_bad_input_is_refused_with_status_1_and_says_what_to_give(nodes: Nodes, args: List[str], message: str) -> None:
    node = nodes.node("idle")  # never started: the flags are checked before any connection

    result = node.command("load", "--skill", "echo", *args)

    assert result.returncode == 1, (result.returncode, result.stderr)
    assert result.stderr.startswith(message), result.stderr
    assert result.stdout == ""


def test_with_no_node_running_it_says_how_to_start_one(nodes: Nodes) -> None:
    node = nodes.node("stopped")

    result = node.command("load", "--skill", "echo", "--concurrency", "2", "--duration", "1s")

    assert result.returncode == 1
    assert result.stderr.startswith(f"error: no node is running at {node.socket_path}; start it with 'gridnode run"), result.stderr
