#!/usr/bin/env python3
"""Flood benchmark: honest delegated throughput, a newcomer's join time and the log's growth, with
and without a garbage-connection flood from one process (Benchmarks/Flood/README.md).

    Benchmarks/Flood/run.py [--gridnode PATH] [--seconds S] [--concurrency C] [--base-port P] [--json FILE]

Two nodes from `gridnode cluster up`: node1 serves nothing and delegates every `echo` task to
node2, which serves it (maxConcurrentTasks 64; requesterRatePerSecond raised so that the one
requester is not refused as busy). Then, twice — without and with flood.py against node2's peer
port — it runs `gridnode load --concurrency C --duration S` on node1, starts a fresh node that
bootstraps from node2 halfway through and times until its `peers.list` shows node2 alive, and
measures how many lines and bytes node2's log grew. Prints a Markdown table and the figures.
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def rpc(sock_path: str, method: str, params=None):
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(5)
        s.connect(sock_path)
        request = {"jsonrpc": "2.0", "id": 1, "method": method}
        if params is not None:
            request["params"] = params
        s.sendall((json.dumps(request) + "\n").encode())
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            data += chunk
    return json.loads(data)["result"]


def log_size(path: str) -> tuple:
    with open(path, "rb") as f:
        data = f.read()
    return len(data), data.count(b"\n")


def join_time(gridnode: str, work: str, name: str, port: int, hub_address: str, hub_id: str) -> float:
    """Seconds from starting a fresh node that bootstraps from the hub until it lists the hub alive."""
    data = os.path.join(work, name)
    subprocess.run([gridnode, "init", "--data-dir", data], check=True, capture_output=True)
    host, hub_port = hub_address.rsplit(":", 1)
    bootstrap = os.path.join(work, name + "-peers.json")
    with open(bootstrap, "w") as f:
        json.dump({"peers": [{"address": host, "port": int(hub_port), "publicKey": hub_id}]}, f)
    with open(os.path.join(data, "config.json")) as f:
        config = json.load(f)
    config["networkID"] = json.load(open(os.path.join(work, "cluster", "cluster.json"))).get("network", config["networkID"])
    with open(os.path.join(data, "config.json"), "w") as f:
        json.dump(config, f)
    started = time.monotonic()
    process = subprocess.Popen([gridnode, "run", "--data-dir", data, "--listen", f"127.0.0.1:{port}", "--bootstrap", bootstrap,
                                "--skills", "echo"], stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, name + ".log"), "w"))
    try:
        sock = os.path.join(data, "gridnode.sock")
        while time.monotonic() - started < 60:
            try:
                if any(p["nodeId"] == hub_id and p["state"] == "alive" for p in rpc(sock, "peers.list")):
                    return time.monotonic() - started
            except (OSError, KeyError, ValueError):
                pass
            time.sleep(0.01)
        return float("inf")
    finally:
        process.terminate()
        process.wait(30)


def phase(args, work: str, cluster: str, node2: dict, flood: bool, label: str) -> dict:
    log = os.path.join(cluster, "node2", "node.log")
    info_before = rpc(node2["socket"], "node.info")
    flooder = None
    if flood:
        flooder = subprocess.Popen([sys.executable, os.path.join(HERE, "flood.py"), node2["address"],
                                    "--report", os.path.join(work, "flood.json")])
        time.sleep(2)  # let the flood reach its pace
    size_before, lines_before, at_before = *log_size(log), time.monotonic()
    report = os.path.join(work, f"load-{label}.json")
    load = subprocess.Popen([args.gridnode, "load", "--cluster", cluster, "--node", "node1", "--skill", "echo",
                             "--concurrency", str(args.concurrency), "--duration", f"{args.seconds}s", "--json", report],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(args.seconds / 2)
    joined = join_time(args.gridnode, work, f"newcomer-{label}", args.base_port + 10 + (1 if flood else 0), node2["address"], node2["id"])
    load.wait()
    size_after, lines_after, at_after = *log_size(log), time.monotonic()
    if flooder:
        flooder.terminate()
        flooder.wait(30)
    info_after = rpc(node2["socket"], "node.info")
    result = json.load(open(report))
    elapsed = at_after - at_before
    out = {
        "flood": flood,
        "tasksPerSecond": result["throughputPerSecond"], "errorsByReason": result.get("errorsByReason"),
        "succeeded": result.get("succeeded"), "failed": result.get("failed"),
        "joinSeconds": round(joined, 3),
        "logLinesPerSecond": round((lines_after - lines_before) / elapsed, 2),
        "logBytesPerSecond": round((size_after - size_before) / elapsed, 1),
        "refusedConnections": info_after["refusedConnections"] - info_before["refusedConnections"],
        "load": result,
    }
    if flood:
        out["attacker"] = json.load(open(os.path.join(work, "flood.json")))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gridnode", default=os.path.join(ROOT, ".build", "release", "gridnode"))
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--base-port", type=int, default=7701)
    parser.add_argument("--json")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="grid-flood-")
    cluster = os.path.join(work, "cluster")
    try:
        subprocess.run([args.gridnode, "cluster", "up", "--dir", cluster, "--nodes", "2", "--skills", "node1=", "node2=echo",
                        "--base-port", str(args.base_port), "--without-faults"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([args.gridnode, "cluster", "stop", "--dir", cluster, "node2"], check=True, stdout=subprocess.DEVNULL)
        config_path = os.path.join(cluster, "node2", "config.json")
        config = json.load(open(config_path))
        config.update({"maxConcurrentTasks": 64, "requesterRatePerSecond": 1000000})
        json.dump(config, open(config_path, "w"))
        subprocess.run([args.gridnode, "cluster", "start", "--dir", cluster, "node2"], check=True, stdout=subprocess.DEVNULL)
        info = rpc(os.path.join(cluster, "node2", "gridnode.sock"), "node.info")
        node2 = {"socket": os.path.join(cluster, "node2", "gridnode.sock"), "address": info["listenAddress"], "id": info["nodeId"]}
        quiet = phase(args, work, cluster, node2, False, "quiet")
        flooded = phase(args, work, cluster, node2, True, "flood")
        ratio = flooded["tasksPerSecond"] / quiet["tasksPerSecond"] if quiet["tasksPerSecond"] else 0
        print(f"| run | tasks/s | failed | newcomer joins in | node2 log growth | connections refused |")
        print(f"|---|---:|---:|---:|---:|---:|")
        for name, r in (("without flood", quiet), ("with flood", flooded)):
            print(f"| {name} | {r['tasksPerSecond']:.0f} | {r['failed']} | {r['joinSeconds']:.3f} s | "
                  f"{r['logLinesPerSecond']} lines/s ({r['logBytesPerSecond']:.0f} B/s) | {r['refusedConnections']} |")
        attacker = flooded["attacker"]
        print(f"\nhonest throughput under the flood: {ratio:.1%} of the quiet run; the attacker opened "
              f"{attacker['garbageConnections']} garbage and {attacker['idleConnections']} idle connections "
              f"({attacker['connectionsPerSecond']}/s), of which node2 counted {flooded['refusedConnections']} refused")
        if args.json:
            json.dump({"quiet": quiet, "flood": flooded, "ratio": ratio}, open(args.json, "w"), indent=2)
    finally:
        subprocess.run([args.gridnode, "cluster", "down", "--dir", cluster], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
