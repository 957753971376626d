"""Shared fixtures: a fake node for the unit tests, and a time bound on every test."""

from __future__ import annotations

import faulthandler
import os
import shutil
import sys
import tempfile
from typing import Iterator, Tuple

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from fakenode import FakeConn, FakeNode  # noqa: E402

try:
    import gridclient  # noqa: E402  (installed: run-tests.sh tests the installed package)
except ImportError:  # run from a checkout without installing: use the source tree
    _src = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
    sys.path.insert(0, _src)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [_src, os.environ.get("PYTHONPATH")]))
    import gridclient  # noqa: E402

#: No test may take longer than this (seconds): it is stopped with every thread's stack printed.
UNIT_TEST_LIMIT = 60
INTEGRATION_TEST_LIMIT = 240


@pytest.fixture(autouse=True)
def _time_bound(request: pytest.FixtureRequest) -> Iterator[None]:
    limit = INTEGRATION_TEST_LIMIT if request.node.get_closest_marker("integration") else UNIT_TEST_LIMIT
    faulthandler.dump_traceback_later(limit, exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


def _repo_root() -> str:
    return os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


@pytest.fixture(scope="session")
def gridnode_bin() -> str:
    """The gridnode binary: $GRIDNODE_BIN, else .build/debug/gridnode in the repository.

    When $GRIDNODE_BIN is set the binary must exist (run-tests.sh sets it: a missing build is a
    failure there); without it, a missing default binary skips the integration tests.
    """
    given = os.environ.get("GRIDNODE_BIN")
    path = given or os.path.join(_repo_root(), ".build", "debug", "gridnode")
    if not os.path.isabs(path):
        path = os.path.join(_repo_root(), path)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        message = f"no gridnode binary at {path}: build it with 'swift build --product gridnode' in the repository"
        if given:
            pytest.fail(message + " (GRIDNODE_BIN is set)")
        pytest.skip(message + ", or set GRIDNODE_BIN")
    return path


@pytest.fixture
def short_dir() -> Iterator[str]:
    """A temporary directory with a short path (Unix socket paths are limited to 107 bytes)."""
    path = tempfile.mkdtemp(prefix="gc-", dir="/tmp")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def fake(short_dir: str) -> Iterator[FakeNode]:
    node = FakeNode(os.path.join(short_dir, "gridnode.sock"))
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture
def connected(fake: FakeNode, short_dir: str) -> Iterator[Tuple[gridclient.Client, FakeConn]]:
    """A client connected to the fake node, and the fake's side of the connection."""
    client = gridclient.Client(data_dir=short_dir)
    conn = fake.connection()
    try:
        yield client, conn
    finally:
        client.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """A failed integration test shows the tail of each node's log."""
    outcome = yield
    report = outcome.get_result()
    funcargs = getattr(item, "funcargs", {})
    cluster = funcargs.get("cluster") or funcargs.get("nodes")
    if report.failed and cluster is not None:
        report.sections.append(("gridnode logs", cluster.logs()))


@pytest.fixture
def nodes(gridnode_bin: str) -> Iterator["Nodes"]:
    """Nodes a test makes and starts itself; all stopped and removed afterwards."""
    from gridnode_harness import Nodes
    made = Nodes(gridnode_bin)
    try:
        yield made
    finally:
        made.stop()
        made.remove()
