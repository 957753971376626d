#!/usr/bin/env python3
"""A garbage-connection flood from one process, against a node's peer port (Benchmarks/Flood/README.md).

    flood.py HOST:PORT [--seconds S] [--garbage N] [--idle N] [--report FILE]

Two kinds of attacker connection, both kept up for the whole run:
  - N "garbage" workers (default 64), each in a loop: connect, send a frame that is not a Hello
    (a 4-byte length of 5, then "hello"), read until the node closes, connect again;
  - N "idle" connections (default 1000) that connect and send nothing, each closed after a random
    0.2-2 s and opened again at once (churning idle connections, which hold handshake places).
At the end (or on SIGTERM) it prints, and writes to FILE as JSON, how many connections of each
kind it opened and how many the node refused or closed.
"""
import argparse
import asyncio
import json
import random
import signal
import sys
import time


class Counts:
    def __init__(self) -> None:
        self.garbage = 0
        self.idle = 0
        self.connect_failed = 0


async def garbage_worker(host: str, port: int, counts: Counts, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 2)
        except (OSError, asyncio.TimeoutError):
            counts.connect_failed += 1
            await asyncio.sleep(0.01)
            continue
        counts.garbage += 1
        try:
            writer.write(b"\x00\x00\x00\x05hello")
            await writer.drain()
            await asyncio.wait_for(reader.read(), 2)
        except (OSError, asyncio.TimeoutError):
            pass
        finally:
            writer.close()


async def idle_connection(host: str, port: int, counts: Counts, stop: asyncio.Event, rng: random.Random) -> None:
    while not stop.is_set():
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 2)
        except (OSError, asyncio.TimeoutError):
            counts.connect_failed += 1
            await asyncio.sleep(0.05)
            continue
        counts.idle += 1
        try:
            await asyncio.wait_for(stop.wait(), rng.uniform(0.2, 2.0))
        except asyncio.TimeoutError:
            pass
        writer.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("address")
    parser.add_argument("--seconds", type=float, default=3600)
    parser.add_argument("--garbage", type=int, default=64)
    parser.add_argument("--idle", type=int, default=1000)
    parser.add_argument("--report")
    args = parser.parse_args()
    host, port = args.address.rsplit(":", 1)
    counts, stop, rng = Counts(), asyncio.Event(), random.Random(1)
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    started = time.monotonic()
    tasks = [asyncio.create_task(garbage_worker(host, int(port), counts, stop)) for _ in range(args.garbage)]
    tasks += [asyncio.create_task(idle_connection(host, int(port), counts, stop, rng)) for _ in range(args.idle)]
    try:
        await asyncio.wait_for(stop.wait(), args.seconds)
    except asyncio.TimeoutError:
        stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    elapsed = time.monotonic() - started
    report = {"seconds": round(elapsed, 1), "garbageConnections": counts.garbage, "idleConnections": counts.idle,
              "connectFailures": counts.connect_failed,
              "connectionsPerSecond": round((counts.garbage + counts.idle) / elapsed, 1)}
    print(json.dumps(report), file=sys.stderr)
    if args.report:
        with open(args.report, "w") as f:
            json.dump(report, f)


if __name__ == "__main__":
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    asyncio.run(main())
