"""``gridnode cluster``: each command against real processes, each fault taking effect and undone,
and bad input refused with a clear error (issue 13)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
from typing import Iterator

import pytest

from cluster_harness import Cluster
from gridnode_harness import poll

pytestmark = pytest.mark.integration


@pytest.fixture
def cluster(gridnode_bin: str) -> Iterator[Cluster]:
    # node1 serves nothing itself, so everything it is given runs on node2 or node3.
    c = Cluster(gridnode_bin, 3, skills=["node1=", "all=echo,sha256,sleep"])
    try:
        c.up()
        yield c
    finally:
        c.down()


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def submit(c: Cluster, node: str, skill: str, text: str, *extra: str) -> dict:
    result = c.run("submit", node, skill, "--input", text, "--wait", "--json", "--quiet", *extra, check=False)
    view: dict = json.loads(result.stdout)
    return view


def test_commands_on_real_processes(cluster: Cluster) -> None:
    rows = cluster.status()
    assert sorted(rows) == ["node1", "node2", "node3"]
    for name, row in rows.items():
        assert row["state"] == "running" and row["peers"] == 2, row
        assert row["port"] == cluster.base_port + int(name[-1]) - 1
    assert rows["node1"]["skills"] == [] and rows["node2"]["skills"] == ["echo", "sha256", "sleep"]
    text_status = cluster.run("status").stdout
    assert text_status.splitlines()[0].split()[:4] == ["NAME", "NODE", "ID", "ADDRESS"]

    view = submit(cluster, "node1", "sha256", "hello")
    assert view["status"] == "succeeded" and view["output"] == sha("hello")
    assert view["executor"] in (rows["node2"]["nodeId"], rows["node3"]["nodeId"])
    assert cluster.status()["node1"]["completed"] == 1

    logs = cluster.run("logs", "node2", "--lines", "5").stdout
    assert 1 <= len(logs.strip().splitlines()) <= 5 and "gridnode" in logs

    assert "node3 stopped" in cluster.run("stop", "node3").stdout
    assert cluster.status()["node3"]["state"] == "stopped"
    assert "node3 started" in cluster.run("start", "node3").stdout
    cluster.wait_peers("node3", 2)

    assert "killed (SIGKILL)" in cluster.run("kill", "node2").stdout
    assert cluster.status()["node2"]["state"] == "stopped"
    cluster.wait_peers("node1", 1)
    view = submit(cluster, "node1", "sha256", "after the kill")
    assert view["status"] == "succeeded" and view["executor"] == rows["node3"]["nodeId"]
    cluster.run("start", "node2")
    # Same data directory: the same node ID comes back.
    assert cluster.status()["node2"]["nodeId"] == rows["node2"]["nodeId"]

    down = cluster.run("down").stdout
    assert "kept" in down and os.path.exists(os.path.join(cluster.dir, "node1", "identity.key"))
    assert all(r["state"] == "stopped" for r in cluster.status().values())
    cluster.run("start", "node1", "node2", "node3")
    assert "removed" in cluster.run("down", "--remove").stdout
    assert not os.path.exists(cluster.dir)


def test_a_partition_routes_to_the_other_side_and_heals(cluster: Cluster) -> None:
    ids = {name: row["nodeId"] for name, row in cluster.status().items()}
    out = cluster.run("fault", "partition", "node1", "node2").stdout
    assert "partitioned node1 from node2" in out
    assert "partition(1)" in cluster.status()["node1"]["faults"]
    cluster.wait_peers("node1", 1)
    assert cluster.alive_peers("node1") == [ids["node3"]]
    for i in range(5):
        view = submit(cluster, "node1", "sha256", f"partitioned {i}")
        assert view["status"] == "succeeded" and view["executor"] == ids["node3"], view

    cluster.run("heal")
    assert cluster.status()["node1"]["faults"] == "-"
    cluster.wait_peers("node1", 2)
    # Both sides are used again: 16 sleeps at once fill node3's 4 places and spill to node2.
    with cluster.client("node1") as client:
        tasks = [client.submit("sleep", b"300", timeout=60) for _ in range(16)]
        ended = [client.wait(t.task_id, timeout=60) for t in tasks]
    assert all(t.status == "succeeded" for t in ended), [t.error_message for t in ended]
    assert {t.executor for t in ended} == {ids["node2"], ids["node3"]}


def test_link_and_executor_faults_take_effect_and_heal(cluster: Cluster) -> None:
    ids = {name: row["nodeId"] for name, row in cluster.status().items()}

    def rtt_ms(at: str, peer: str) -> float:
        with cluster.client(at) as client:
            return next((p.rtt_ms or 0.0) for p in client.peers() if p.node_id == ids[peer])

    # Delay: node2's frames are held back 150 ms, so node1's pings to it take that long.
    cluster.run("fault", "delay", "node2", "--ms", "150", "--jitter", "10")
    poll(lambda: rtt_ms("node1", "node2") >= 130, "node1's RTT to node2 to show the delay")
    cluster.run("heal", "node2")
    poll(lambda: rtt_ms("node1", "node2") < 50, "node1's RTT to node2 to drop after healing")

    # A slow executor: every run on node3 starts 400 ms late.
    cluster.run("fault", "partition", "node1", "node2")
    cluster.wait_peers("node1", 1)
    cluster.run("fault", "slow", "node3", "--ms", "400")
    view = submit(cluster, "node1", "echo", "slowly")
    assert view["status"] == "succeeded" and view["executor"] == ids["node3"]
    assert view["finishedAtMs"] - view["submittedAtMs"] >= 400
    # A stalled skill never answers: the task runs out of time instead.
    cluster.run("fault", "stall", "node3", "--skill", "echo")
    with cluster.client("node1") as client:
        task = client.wait(client.submit("echo", b"stalled", timeout=2).task_id, timeout=30)
    assert task.status == "failed" and task.error_code == "timed_out", task
    # Healed: node3 answers at once again.
    cluster.run("heal", "node3")
    view = submit(cluster, "node1", "echo", "healed")
    assert view["status"] == "succeeded" and view["finishedAtMs"] - view["submittedAtMs"] < 400, view
    # A lying skill: node3 alone serves node1, so its results are delivered unchecked, and wrong.
    cluster.run("fault", "lie", "node3", "--skill", "sha256")
    assert "lie(sha256)" in cluster.status()["node3"]["faults"]
    view = submit(cluster, "node1", "sha256", "a lie", "--verify", "off")
    assert view["status"] == "succeeded" and view["output"] != sha("a lie")
    cluster.run("heal")
    cluster.wait_peers("node1", 2)
    view = submit(cluster, "node1", "sha256", "the truth")
    assert view["output"] == sha("the truth")

    # Dropped frames: node2 drops everything it hears, so it loses its peers until healed.
    cluster.run("fault", "drop", "node2", "--share", "1")
    cluster.wait_peers("node2", 0, timeout=60)
    cluster.run("heal", "node2")
    cluster.wait_peers("node2", 2, timeout=60)

    # Refused connections: a restarted node2 cannot reach node3 while node3 refuses.
    cluster.run("fault", "refuse", "node3")
    cluster.run("kill", "node2")
    cluster.run("start", "node2", "--wait-timeout", "1", check=False)  # the mesh cannot form: node3 refuses
    cluster.wait_peers("node2", 1)
    assert ids["node3"] not in cluster.alive_peers("node2")
    cluster.run("heal", "node3")
    cluster.wait_peers("node2", 2)


def test_bad_input_gets_a_clear_error(gridnode_bin: str, tmp_path: "os.PathLike[str]") -> None:
    c = Cluster(gridnode_bin, 2, extra=["--without-faults"])
    try:
        c.up()
        unknown = c.run("stop", "node7", check=False)
        assert unknown.returncode == 1 and "no node named 'node7'" in unknown.stderr and "node1, node2" in unknown.stderr
        refused = c.run("fault", "lie", "node1", "--skill", "sha256", check=False)
        assert refused.returncode == 1 and "not started with --allow-faults" in refused.stderr
        assert c.status()["node1"]["faults"] == "not allowed"
        again = c.run("up", "--nodes", "2", check=False)
        assert again.returncode == 1 and "is a cluster already" in again.stderr
        # A port in use: node1's own port, by the running cluster.
        other = Cluster(gridnode_bin, 2)
        try:
            busy = subprocess.run([gridnode_bin, "cluster", "up", "--nodes", "2", "--base-port", str(c.base_port),
                                   "--dir", other.dir], capture_output=True, text=True, timeout=60)
            assert busy.returncode == 1 and f"port {c.base_port} (for node1) is in use" in busy.stderr
            assert not os.path.exists(other.dir)
        finally:
            other.down()
    finally:
        c.down()
    nowhere = subprocess.run([gridnode_bin, "cluster", "status", "--dir", str(tmp_path)], capture_output=True, text=True)
    assert nowhere.returncode == 1 and "is not a cluster (no cluster.json)" in nowhere.stderr
    bad = subprocess.run([gridnode_bin, "cluster", "up", "--nodes", "2", "--skills", "node5=echo", "--dir",
                          os.path.join(str(tmp_path), "c")], capture_output=True, text=True)
    assert bad.returncode == 1 and "--skills names 'node5', but the nodes are node1 to node2" in bad.stderr


def test_config_cannot_allow_faults(gridnode_bin: str, tmp_path: "os.PathLike[str]") -> None:
    data = os.path.join(str(tmp_path), "n")
    subprocess.run([gridnode_bin, "init", "--data-dir", data], check=True, capture_output=True)
    with open(os.path.join(data, "config.json")) as f:
        config = json.load(f)
    config["allowFaults"] = True
    with open(os.path.join(data, "config.json"), "w") as f:
        json.dump(config, f)
    run = subprocess.run([gridnode_bin, "run", "--data-dir", data, "--listen", "127.0.0.1:0"], capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 1 and "allowFaults cannot be set in config.json" in run.stderr


def test_load_on_a_cluster_node_matches_its_metrics(cluster: Cluster) -> None:
    with cluster.client("node1") as client:
        before = client.metrics()["tasks"]
    result = subprocess.run([cluster.binary, "load", "--node", "node1", "--cluster", cluster.dir, "--skill", "sha256",
                             "--rate", "50", "--duration", "2s", "--json", "-"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["node"] == "node1" and report["succeeded"] == report["submitted"] and report["failed"] == 0
    with cluster.client("node1") as client:
        poll(lambda: client.metrics()["tasks"]["completed"] - before["completed"] >= report["succeeded"],
             "node1 to count the load's tasks")
        after = client.metrics()["tasks"]
    # node1 serves nothing: every task was delegated, and its counters moved by the report's figures.
    assert after["completed"] - before["completed"] == report["succeeded"]
    assert after["submitted"] - before["submitted"] == report["submitted"]
    assert after["executedLocally"] == before["executedLocally"]
    unknown = subprocess.run([cluster.binary, "load", "--node", "node9", "--cluster", cluster.dir, "--skill", "echo",
                              "--concurrency", "1", "--duration", "1s"], capture_output=True, text=True, timeout=60)
    assert unknown.returncode == 1 and "no node named 'node9'" in unknown.stderr


SCENARIO = {
    "name": "a provider killed under load (short)",
    "nodes": 3,
    "skills": ["node1=", "all=sleep"],
    "load": {"node": "node1", "skill": "sleep", "input": "40", "concurrency": 6, "duration": "5s", "timeout": 30},
    "steps": [
        {"at": "1500ms", "action": "kill", "nodes": ["node2"]},
        {"at": "3s", "action": "start", "nodes": ["node2"]},
        {"at": "3500ms", "action": "lie", "nodes": ["node3"], "skill": "sleep"},
        {"at": "4s", "action": "heal"},
    ],
    "expect": {"maxFailed": 0, "minSucceeded": 50},
}


def test_a_scenario_file_runs_end_to_end(gridnode_bin: str, short_dir: str) -> None:
    tmp_path = short_dir  # the nodes' sockets go under it: keep it short
    path = os.path.join(str(tmp_path), "scenario.json")
    with open(path, "w") as f:
        json.dump(SCENARIO, f)
    report_path = os.path.join(str(tmp_path), "report.json")
    base = Cluster(gridnode_bin, 3).base_port
    result = subprocess.run([gridnode_bin, "cluster", "run", path, "--dir", os.path.join(str(tmp_path), "c"), "--base-port",
                             str(base), "--json", report_path], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    with open(report_path) as f:
        report = json.load(f)
    assert [e["action"] for e in report["events"]] == ["load", "kill node2", "start node2", "lie node3", "heal", "load ended"]
    assert "killed (SIGKILL)" in report["events"][1]["result"] and "lie(sleep)" in report["events"][3]["result"]
    assert report["load"]["failed"] == 0 and report["load"]["succeeded"] >= 50
    assert sum(report["completedBy"].values()) == report["load"]["succeeded"]
    assert report["retried"] >= 0 and all(c["met"] for c in report["checks"])
    assert "expectations: all met" in result.stdout and "completed by:" in result.stdout
    # The nodes were stopped and the logs kept.
    assert "logs kept in" in result.stdout
    assert os.path.exists(os.path.join(str(tmp_path), "c", "node2", "node.log"))

    failing = dict(SCENARIO, steps=[], expect={"minSucceeded": 10 ** 9})
    failing["load"] = dict(SCENARIO["load"], duration="1s")
    with open(path, "w") as f:
        json.dump(failing, f)
    unmet = subprocess.run([gridnode_bin, "cluster", "run", path, "--dir", os.path.join(str(tmp_path), "d"), "--base-port",
                            str(base), "--remove"], capture_output=True, text=True, timeout=180)
    assert unmet.returncode == 1 and "NOT MET: at least 1000000000 succeeded" in unmet.stdout
    bad = subprocess.run([gridnode_bin, "cluster", "run", os.path.join(str(tmp_path), "nope.json")], capture_output=True, text=True)
    assert bad.returncode == 1 and "cannot read scenario file" in bad.stderr


def netns_unavailable() -> str:
    """Why ``--netns`` cannot work here ('' when it can): it needs root and a working ``ip netns``."""
    if os.geteuid() != 0 or shutil.which("ip") is None:
        return "not root, or no ip command"
    probe = f"grid-test-probe-{os.getpid()}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode != 0:
        return made.stderr.strip() or "ip netns add failed"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return ""


def test_netns_gives_each_node_a_host_and_partitions_cut_real_links(gridnode_bin: str) -> None:
    c = Cluster(gridnode_bin, 3, skills=["node1=", "all=sha256"], extra=["--netns"])
    reason = netns_unavailable()
    try:
        up = c.run("up", "--nodes", "3", "--base-port", str(c.base_port), "--netns", "--skills", "node1=", "all=sha256")
        rows = c.status()
        if reason:
            # Without root or ip netns: said so, and the cluster runs on loopback.
            assert "--netns:" in up.stderr and "running the cluster on loopback instead" in up.stderr
            assert all(r["address"] == "127.0.0.1" for r in rows.values())
            return
        addresses = [rows[f"node{i}"]["address"] for i in (1, 2, 3)]
        assert all(a.startswith("10.") for a in addresses) and len(set(addresses)) == 3
        namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        assert sum(1 for line in namespaces.splitlines() if line.split(" ")[0].endswith(("-node1", "-node2", "-node3"))) >= 3
        view = submit(c, "node1", "sha256", "over a bridge")
        assert view["status"] == "succeeded" and view["output"] == sha("over a bridge")

        out = c.run("fault", "partition", "node1", "node2").stdout
        assert "blackhole routes" in out and "cut(1)" in c.status()["node1"]["faults"]
        c.wait_peers("node1", 1)
        ids = {name: row["nodeId"] for name, row in rows.items()}
        assert c.alive_peers("node1") == [ids["node3"]]
        view = submit(c, "node1", "sha256", "around the cut")
        assert view["executor"] == ids["node3"]
        c.run("heal")
        assert c.status()["node1"]["faults"] == "-"
        c.wait_peers("node1", 2)

        with open(os.path.join(c.dir, "cluster.json")) as f:
            ours = set(json.load(f)["netns"]["namespaces"].values())
        down = c.run("down", "--remove").stdout
        assert "removed the network namespaces" in down
        left = {line.split(" ")[0] for line in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.splitlines()}
        assert not ours & left, ours & left
    finally:
        c.down()


def test_load_counts_wrong_outputs_the_node_did_not_catch(cluster: Cluster) -> None:
    # node1 is cut off from node2: node3's sha256 results cannot be checked, and node3 lies.
    cluster.run("fault", "partition", "node1", "node2")
    cluster.wait_peers("node1", 1)
    cluster.run("fault", "lie", "node3", "--skill", "sha256")
    result = subprocess.run([cluster.binary, "load", "--node", "node1", "--cluster", cluster.dir, "--skill", "sha256",
                             "--concurrency", "2", "--duration", "1s", "--json", "-"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["checked"] is True and report["wrongOutputs"] > 0
    assert report["wrongOutputs"] == report["failed"] == report["errorsByReason"]["wrong_output"]
    assert "wrong" in result.stderr  # the text report: "outputs     N wrong"
    cluster.run("heal")
    cluster.wait_peers("node1", 2)
    honest = subprocess.run([cluster.binary, "load", "--node", "node1", "--cluster", cluster.dir, "--skill", "echo",
                             "--concurrency", "2", "--duration", "1s"], capture_output=True, text=True, timeout=60)
    assert honest.returncode == 0 and "outputs     all right" in honest.stdout, honest.stdout + honest.stderr


def test_two_clusters_run_side_by_side(gridnode_bin: str) -> None:
    first, second = Cluster(gridnode_bin, 2), Cluster(gridnode_bin, 2)
    try:
        first.up()
        second.up()
        for c in (first, second):
            ids = {row["nodeId"] for row in c.status().values()}
            for name in ("node1", "node2"):
                # Each node sees its own cluster's other node, and nothing of the other cluster.
                assert set(c.alive_peers(name)) == ids - {c.node_id(name)}
        assert "node1 stopped" in first.run("stop", "node1").stdout
        assert second.status()["node1"]["state"] == "running"
    finally:
        first.down()
        second.down()
