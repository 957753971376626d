#!/usr/bin/env python3
"""Serves the skill text.upper from a Python function until Ctrl-C.

    python serve_upper.py [--data-dir DIR]

Every task of text.upper that reaches this node (submitted here, or delegated by a peer) runs
upper() below, up to four at once. It reports its progress word by word.
"""

import argparse
import logging
import time

import gridclient

parser = argparse.ArgumentParser(description="Serve text.upper from Python until Ctrl-C.")
parser.add_argument("--data-dir", help="the node's data directory (default: $GRIDNODE_HOME, else ~/.gridnode)")
parser.add_argument("--delay", type=float, default=0.2, help="seconds of pretend work per word (default 0.2)")
args = parser.parse_args()
logging.basicConfig(level=logging.INFO, format="%(message)s")

grid = gridclient.Client(args.data_dir)


@grid.skill("text.upper", capacity=4, description="upper-cases UTF-8 text")
def upper(task: gridclient.SkillTask) -> str:
    words = task.text.split(" ")
    done = []
    for n, word in enumerate(words, 1):
        if task.cancelled.is_set():
            raise gridclient.SkillError("stopped", reason="cancelled")
        done.append(word.upper())
        task.progress(n / len(words), f"word {n} of {len(words)}")
        time.sleep(args.delay)  # the "work"
    return " ".join(done)


grid.run()  # serve until Ctrl-C
