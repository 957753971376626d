"""gridclient: talk to a Grid node from Python.

Applications on the node's machine talk to it over the Unix socket ``DIR/gridnode.sock``
(``DIR`` is the node's data directory) with newline-delimited JSON-RPC 2.0
(Protocol/local-api.md). This package is that protocol, with the standard library only::

    import gridclient

    with gridclient.Client() as grid:                     # --data-dir, $GRIDNODE_HOME or ~/.gridnode
        task = grid.submit("sha256", "hello", wait=True)
        print(task.output_text)

Serving a skill from a Python function::

    grid = gridclient.Client()

    @grid.skill("text.upper", capacity=4)
    def upper(task):
        task.progress(0.5, "half way")
        return task.text.upper()

    grid.run()                                            # serve until Ctrl-C
"""

from .client import PRIORITIES, Client, TaskWatch, priority_level, resolve_data_dir, resolve_socket_path
from .errors import (CallTimeout, GridClientError, GridError, NodeUnreachable, SkillError,
                     TaskFailed)
from .models import Attempt, Event, NodeInfo, Peer, ServedSkill, Task, WaitResult
from .serving import SkillTask

__version__ = "0.1.0"

__all__ = [
    "Attempt",
    "CallTimeout",
    "Client",
    "Event",
    "GridClientError",
    "GridError",
    "NodeInfo",
    "NodeUnreachable",
    "PRIORITIES",
    "Peer",
    "ServedSkill",
    "SkillError",
    "SkillTask",
    "Task",
    "TaskFailed",
    "TaskWatch",
    "WaitResult",
    "priority_level",
    "resolve_data_dir",
    "resolve_socket_path",
]
