#!/usr/bin/env python3
"""Submits a task to the node, shows what happens to it, and prints its output.

    python submit.py [--data-dir DIR] [--timeout SECONDS] SKILL INPUT

The task's events (where it was sent, its progress...) go to standard error, the output to
standard output. Exits with status 1 when the task fails.
"""

import argparse
import sys

import gridclient

parser = argparse.ArgumentParser(description="Submit a task and print its output.")
parser.add_argument("--data-dir", help="the node's data directory (default: $GRIDNODE_HOME, else ~/.gridnode)")
parser.add_argument("--timeout", type=float, default=30.0, help="seconds the task may take (default 30)")
parser.add_argument("skill")
parser.add_argument("input")
args = parser.parse_args()


def show(event: gridclient.Event) -> None:
    node = f" on {event.node_id[:8]}" if event.node_id else ""
    if event.kind == "progress":
        fraction = f" {event.fraction:.0%}" if event.fraction is not None else ""
        print(f"  progress{fraction}{node}: {event.message or ''}", file=sys.stderr)
    else:
        detail = f": {event.message}" if event.message else ""
        print(f"  {event.kind}{node}{detail}", file=sys.stderr)


try:
    with gridclient.Client(args.data_dir) as grid:
        task = grid.submit(args.skill, args.input, wait=True, timeout=args.timeout, on_event=show)
except gridclient.TaskFailed as failure:
    print(f"error: {failure.reason}: {failure.message}", file=sys.stderr)
    sys.exit(1)
except (gridclient.GridError, gridclient.NodeUnreachable) as error:
    print(f"error: {error}", file=sys.stderr)
    sys.exit(1)

print(f"ran on {task.executor[:8] if task.executor else '?'}", file=sys.stderr)
if task.output_text is not None:
    print(task.output_text)
else:
    sys.stdout.buffer.write(task.output or b"")
