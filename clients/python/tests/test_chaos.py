"""Chaos: a 5-node grid under load while random nodes, the submitter among them, are killed with
-9 and restarted. Every task the submitter acknowledged must end, succeed with the right output,
and run more than once only where a kill could explain it.

Quick by default (CI); ``GRID_CHAOS_TASKS`` (default 2000), ``GRID_CHAOS_BATCH`` (200) and
``GRID_CHAOS_SEED`` (1) make a longer or different run, e.g. ``GRID_CHAOS_TASKS=20000`` for the
benchmark mode (docs/BENCHMARKS.md).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections import Counter
from typing import Dict, Iterator, List, Tuple

import pytest

import gridclient
from gridclient import GridError
from gridnode_harness import Node, poll

pytestmark = pytest.mark.integration

TASKS = int(os.environ.get("GRID_CHAOS_TASKS", "2000"))
BATCH = int(os.environ.get("GRID_CHAOS_BATCH", "200"))
SEED = int(os.environ.get("GRID_CHAOS_SEED", "1"))
NODES = 5
TIMEOUT = 300.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ChaosNode:
    def __init__(self, binary: str, root: str, index: int) -> None:
        self.node = Node(binary, root, f"n{index}")
        self.address = f"127.0.0.1:{free_port()}"
        self.runs_log = os.path.join(root, f"runs-n{index}.log")
        # The skill: SHA-256 of the input, in hex, after 50 ms (so work is in flight at each kill);
        # each finished run logs the task ID.
        script = f'x=$(cat); sleep 0.05; printf %s "$x" | sha256sum | cut -c1-64; echo "$GRID_TASK_ID" >> {self.runs_log}'
        # No spot-checks: their second run of a result is by design, and would hide a duplicate.
        self.node.set_config(skillCommands={"work": ["sh", "-c", script]}, drainTimeoutMs=1000, spotCheckFraction=0, verifyProbation=0)
        self.node_id = subprocess.run([binary, "id", "--data-dir", self.node.data_dir], check=True,
                                      capture_output=True, text=True, timeout=60).stdout.strip()

    def start(self, bootstrap: str) -> None:
        self.node.start("echo", bootstrap=bootstrap, extra=["--listen", self.address])


@pytest.fixture
def grid(gridnode_bin: str) -> Iterator[Tuple[List[ChaosNode], Dict[str, str]]]:
    root = tempfile.mkdtemp(prefix="gc-ch-", dir="/tmp")
    nodes = [ChaosNode(gridnode_bin, root, i) for i in range(NODES)]
    bootstraps: Dict[str, str] = {}
    for node in nodes:
        path = os.path.join(root, f"bootstrap-{node.node.name}.json")
        with open(path, "w") as file:
            peers = [{"name": other.node.name, "address": other.address.rsplit(":", 1)[0],
                      "port": int(other.address.rsplit(":", 1)[1]), "publicKey": other.node_id}
                     for other in nodes if other is not node]
            json.dump({"peers": peers}, file)
        bootstraps[node.node.name] = path
    try:
        for node in nodes:
            node.start(bootstraps[node.node.name])
        yield nodes, bootstraps
    finally:
        for node in nodes:
            node.node.stop()
        shutil.rmtree(root, ignore_errors=True)


def submit_batch(submitter: Node, inputs: List[str], acked: Dict[str, str]) -> None:
    """Submits what it can; a task counts once the submit answered (acknowledged)."""
    try:
        with submitter.client() as client:
            for text in inputs:
                task = client.submit("work", text, timeout=TIMEOUT)
                acked[task.task_id] = text
    except (gridclient.NodeUnreachable, GridError, OSError):
        pass  # the submitter went down mid-batch: the rest were not acknowledged


def test_random_kills_and_restarts_lose_no_acknowledged_task(grid) -> None:
    nodes, bootstraps = grid
    submitter = nodes[0]
    rng = random.Random(SEED)
    acked: Dict[str, str] = {}
    kills: List[Tuple[int, str]] = []  # (wall ms, node) of each kill
    started = time.monotonic()
    sent = 0
    round_number = 0
    while sent < TASKS:
        inputs = [f"task-{SEED}-{sent + i}" for i in range(min(BATCH, TASKS - sent))]
        sent += len(inputs)
        submit_batch(submitter.node, inputs, acked)
        # Every third kill is the submitter's; the others hit a random executor.
        victim = submitter if round_number % 3 == 2 else rng.choice(nodes[1:])
        round_number += 1
        kills.append((int(time.time() * 1000), victim.node.name))
        victim.node.kill()
        victim.start(bootstraps[victim.node.name])

    ids = list(acked)
    with submitter.node.client() as client:
        done: List[gridclient.Task] = []
        for start in range(0, len(ids), 1000):
            chunk = ids[start:start + 1000]
            result = client.wait(chunk, timeout=TIMEOUT)
            assert not result.pending, f"{len(result.pending)} tasks never ended, e.g. {result.pending[:3]}\n{submitter.node.log_tail()}"
            done += result.done
    took = time.monotonic() - started
    with open(submitter.node.log_path) as log:
        resumed = sum(int(m.group(1)) for m in re.finditer(r"resumed (\d+) unfinished tasks", log.read()))
    print(f"chaos: {len(ids)} acknowledged of {TASKS} submitted, {len(kills)} kills "
          f"({sum(1 for _, n in kills if n == 'n0')} of the submitter, {resumed} tasks resumed after them), {took:.1f} s")
    assert resumed > 0, "the submitter's kills found tasks in flight"

    assert len(ids) >= TASKS * 0.5, "most submissions were acknowledged"
    failed = [(t.task_id, t.error_code, t.error_message) for t in done if t.status != "succeeded"]
    assert not failed, f"{len(failed)} of {len(ids)} failed, e.g. {failed[:3]}"
    wrong = [t.task_id for t in done if (t.output_text or "").strip() != hashlib.sha256(acked[t.task_id].encode()).hexdigest()]
    assert not wrong, f"{len(wrong)} wrong outputs, e.g. {wrong[:3]}"

    runs: Counter = Counter()
    for node in nodes:
        if os.path.exists(node.runs_log):
            with open(node.runs_log) as log:
                runs.update(line.strip().lower() for line in log if line.strip())
    assert all(runs[task_id.lower()] >= 1 for task_id in ids), "every succeeded task ran"
    kill_times = [at for at, _ in kills]
    by_id = {t.task_id: t for t in done}
    unexplained = [task_id for task_id in ids if runs[task_id.lower()] > 1 and not any(
        by_id[task_id].submitted_at_ms <= at <= (by_id[task_id].finished_at_ms or 0) for at in kill_times)]
    assert not unexplained, f"{len(unexplained)} tasks ran twice with no kill while they were in flight, e.g. {unexplained[:3]}"
